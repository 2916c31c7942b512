// The control socket of `cardsim serve`: a unix stream socket that takes one command per line and answers one
// line per command ("ok", "error: ...", or JSON for "status"). Used by tests to pull and put back cards.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace cardsim {

class ControlServer {
 public:
  using Handler = std::function<std::string(const std::string& line)>;

  /// Listens on `path` (mode 0600). A stale socket file is replaced; a live one (another cardsim) is an
  /// Error(conflict).
  ControlServer(std::string path, Handler handler);
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;
  ~ControlServer();  // closes everything and removes the socket file

  /// The descriptors to poll for input: the listening socket and each client.
  std::vector<int> fds() const;
  /// Handles input on fd (one of fds()).
  void on_readable(int fd);

 private:
  struct Client {
    int fd;
    std::string buffer;
  };
  void accept_client();
  void serve_client(Client& client);

  std::string path_;
  Handler handler_;
  int listen_fd_ = -1;
  std::vector<Client> clients_;
};

/// Connects to a control socket, sends `line`, returns the one-line answer.
std::string control_request(const std::string& path, const std::string& line);

}  // namespace cardsim
