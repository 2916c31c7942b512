#include "prompt.hpp"

#include <CLI/CLI.hpp>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include "cardctl/error.hpp"
#include "cardctl/files.hpp"

namespace cardctl::cli {

namespace {

// The terminal state to restore if a signal arrives while echo is off (RAII cannot run then).
int g_tty_fd = -1;
struct termios g_saved_termios {};

extern "C" void restore_tty_and_reraise(int sig) {
  if (g_tty_fd >= 0) ::tcsetattr(g_tty_fd, TCSAFLUSH, &g_saved_termios);
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

// Echo off for the lifetime of the object, restored on every path (docs/architecture.md#secret-input).
class EchoOff {
 public:
  explicit EchoOff(int fd) : fd_(fd) {
    if (::tcgetattr(fd_, &saved_) != 0) return;
    struct termios quiet = saved_;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO | ECHONL);
    g_tty_fd = fd_;
    g_saved_termios = saved_;
    old_int_ = std::signal(SIGINT, restore_tty_and_reraise);
    old_term_ = std::signal(SIGTERM, restore_tty_and_reraise);
    active_ = ::tcsetattr(fd_, TCSAFLUSH, &quiet) == 0;
  }
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;
  ~EchoOff() {
    if (active_) ::tcsetattr(fd_, TCSAFLUSH, &saved_);
    if (g_tty_fd == fd_) {
      std::signal(SIGINT, old_int_);
      std::signal(SIGTERM, old_term_);
      g_tty_fd = -1;
    }
  }

 private:
  int fd_;
  struct termios saved_ {};
  bool active_ = false;
  void (*old_int_)(int) = SIG_DFL;
  void (*old_term_)(int) = SIG_DFL;
};

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

void write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    text.remove_prefix(static_cast<std::size_t>(n));
  }
}

// Reads up to '\n' one byte at a time, so that nothing after the line is consumed (the next secret, or the
// command's own input, may follow). nullopt at end of input with nothing read.
std::optional<SecureString> read_line(int fd) {
  SecureString line;
  bool any = false;
  for (;;) {
    char c = 0;
    ssize_t n = ::read(fd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    any = true;
    if (c == '\n') break;
    line.push_back(c);
  }
  if (!any) return std::nullopt;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

std::string sources(const SecretRequest& r) {
  std::string s;
  if (!r.file_option.empty()) s += r.file_option + " FILE, ";
  if (!r.env.empty()) s += r.env + ", ";
  s += s.empty() ? "one line on stdin, or type it at the terminal" : "or one line on stdin";
  return s;
}

}  // namespace

PromptIo PromptIo::system() {
  PromptIo io;
  io.stdin_is_terminal = [] { return ::isatty(STDIN_FILENO) == 1; };
  io.read_stdin_line = [] { return read_line(STDIN_FILENO); };
  io.ask_terminal = [](const std::string& prompt) -> std::optional<SecureString> {
    Fd tty(::open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (tty.get() < 0) return std::nullopt;
    write_all(tty.get(), prompt);
    std::optional<SecureString> line;
    {
      EchoOff echo_off(tty.get());
      line = read_line(tty.get());
    }
    write_all(tty.get(), "\n");
    if (!line) throw Error(ErrorKind::usage, "no input on the terminal");
    return line;
  };
  io.getenv = [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
  return io;
}

SecureString Prompter::read(const SecretRequest& r, bool no_prompt,
                            const std::function<void(std::string_view)>& log) const {
  auto non_empty = [&r](SecureString s, const std::string& where) {
    if (s.empty())
      throw Error(ErrorKind::usage, "the " + r.label + " from " + where + " is empty",
                  "give the " + r.label + " itself; an empty one is never accepted");
    return s;
  };

  if (r.file) {
    SecureBytes raw = files::read_secret(*r.file);
    SecureString s(raw.begin(), raw.end());
    if (!s.empty() && s.back() == '\n') s.pop_back();
    if (!s.empty() && s.back() == '\r') s.pop_back();
    log(r.label + " read from the file " + *r.file);
    return non_empty(std::move(s), *r.file);
  }

  if (!r.env.empty()) {
    if (auto v = io_.getenv(r.env)) {
      SecureString s(v->begin(), v->end());
      secure_wipe(v->data(), v->size());
      log(r.label + " read from the environment variable " + r.env);
      return non_empty(std::move(s), r.env);
    }
  }

  if (!io_.stdin_is_terminal()) {
    auto line = io_.read_stdin_line();
    if (!line) {
      throw Error(ErrorKind::usage, "the " + r.label + " was expected on stdin, which ended",
                  "give it with " + sources(r));
    }
    log(r.label + " read from stdin");
    return non_empty(std::move(*line), "stdin");
  }

  if (no_prompt) {
    throw Error(ErrorKind::usage, "missing secret with --no-prompt: " + r.label, "give it with " + sources(r));
  }

  std::string again;
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto first = io_.ask_terminal(again + "Enter " + r.label + ": ");
    if (!first) {
      throw Error(ErrorKind::usage, "the " + r.label + " is needed and there is no terminal to ask on",
                  "give it with " + sources(r));
    }
    if (first->empty()) throw Error(ErrorKind::usage, "no " + r.label + " entered");
    if (!r.confirm) {
      log(r.label + " read from the terminal");
      return std::move(*first);
    }
    auto second = io_.ask_terminal("Repeat " + r.label + ": ");
    if (second && *second == *first) {
      log(r.label + " read from the terminal");
      return std::move(*first);
    }
    again = "The two entries differ. ";
  }
  throw Error(ErrorKind::usage, "the two entries of the " + r.label + " differed three times");
}

void Prompter::require(const std::vector<const SecretRequest*>& requests, bool no_prompt) const {
  if (!no_prompt || !io_.stdin_is_terminal()) return;
  std::string missing;
  std::string how;
  for (const SecretRequest* r : requests) {
    if (r->file) continue;
    if (!r->env.empty() && io_.getenv(r->env)) continue;
    missing += (missing.empty() ? "" : ", ") + r->label;
    how += (how.empty() ? "" : "; ") + r->label + ": " + sources(*r);
  }
  if (!missing.empty()) {
    throw Error(ErrorKind::usage, "missing secrets with --no-prompt: " + missing, "give them with " + how);
  }
}

void add_secret_file_option(CLI::App& app, SecretRequest& request, const std::string& description) {
  app.add_option_function<std::string>(
         request.file_option, [&request](const std::string& path) { request.file = path; }, description)
      ->type_name("PATH");
}

}  // namespace cardctl::cli
