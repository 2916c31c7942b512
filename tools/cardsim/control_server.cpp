#include "control_server.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "cardctl/error.hpp"

namespace cardsim {

namespace {

constexpr std::size_t kMaxLine = 4096;

sockaddr_un address_of(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr.sun_path) {
    throw cardctl::Error(cardctl::ErrorKind::usage,
                         "control socket path '" + path + "' is empty or too long (at most " +
                             std::to_string(sizeof addr.sun_path - 1) + " bytes)",
                         "use a shorter path, e.g. under /tmp");
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return addr;
}

int connect_to(const std::string& path) {
  const sockaddr_un addr = address_of(path);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool write_all(int fd, const std::string& s) {
  std::size_t done = 0;
  while (done < s.size()) {
    const ssize_t r = ::send(fd, s.data() + done, s.size() - done, MSG_NOSIGNAL);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    done += static_cast<std::size_t>(r);
  }
  return true;
}

cardctl::Error socket_error(const std::string& what, const std::string& path) {
  return cardctl::Error(cardctl::ErrorKind::io, what + " " + path + ": " + std::strerror(errno));
}

}  // namespace

ControlServer::ControlServer(std::string path, Handler handler) : path_(std::move(path)), handler_(std::move(handler)) {
  const sockaddr_un addr = address_of(path_);
  struct stat st{};
  if (::lstat(path_.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      throw cardctl::Error(cardctl::ErrorKind::conflict, path_ + " exists and is not a socket",
                           "choose another --control path");
    }
    const int live = connect_to(path_);
    if (live >= 0) {
      ::close(live);
      throw cardctl::Error(cardctl::ErrorKind::conflict, "another cardsim is serving on " + path_,
                           "stop it, or choose another --control path");
    }
    ::unlink(path_.c_str());  // left behind by a cardsim that was killed
  }
  listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw socket_error("cannot create the control socket", path_);
  const mode_t old_mask = ::umask(0077);
  const int bound = ::bind(listen_fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  ::umask(old_mask);
  if (bound != 0 || ::listen(listen_fd_, 8) != 0) {
    const cardctl::Error e = socket_error("cannot listen on", path_);
    ::close(listen_fd_);
    throw e;
  }
}

ControlServer::~ControlServer() {
  for (const Client& c : clients_) ::close(c.fd);
  ::close(listen_fd_);
  ::unlink(path_.c_str());
}

std::vector<int> ControlServer::fds() const {
  std::vector<int> out{listen_fd_};
  for (const Client& c : clients_) out.push_back(c.fd);
  return out;
}

void ControlServer::on_readable(int fd) {
  if (fd == listen_fd_) {
    accept_client();
    return;
  }
  const auto it = std::find_if(clients_.begin(), clients_.end(), [fd](const Client& c) { return c.fd == fd; });
  if (it != clients_.end()) serve_client(*it);
}

void ControlServer::accept_client() {
  const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
  if (fd >= 0) clients_.push_back({fd, {}});
}

void ControlServer::serve_client(Client& client) {
  char buffer[512];
  const ssize_t n = ::recv(client.fd, buffer, sizeof buffer, 0);
  bool keep = n > 0;
  if (keep) client.buffer.append(buffer, static_cast<std::size_t>(n));
  for (std::size_t eol; keep && (eol = client.buffer.find('\n')) != std::string::npos;) {
    std::string line = client.buffer.substr(0, eol);
    client.buffer.erase(0, eol + 1);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    keep = write_all(client.fd, handler_(line) + "\n");
  }
  if (client.buffer.size() > kMaxLine) keep = false;
  if (!keep) {
    const int fd = client.fd;
    ::close(fd);
    std::erase_if(clients_, [fd](const Client& c) { return c.fd == fd; });
  }
}

std::string control_request(const std::string& path, const std::string& line) {
  const int fd = connect_to(path);
  if (fd < 0) {
    throw cardctl::Error(cardctl::ErrorKind::not_found, "no cardsim is listening on " + path,
                         "start one with: cardsim serve --control " + path + " FILE...");
  }
  const timeval tv{60, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string answer;
  if (write_all(fd, line + "\n")) {
    char c = 0;
    while (::recv(fd, &c, 1, 0) == 1 && c != '\n') answer.push_back(c);
  }
  ::close(fd);
  if (answer.empty()) {
    throw cardctl::Error(cardctl::ErrorKind::io, "no answer from cardsim on " + path);
  }
  return answer;
}

}  // namespace cardsim
