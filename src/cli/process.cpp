#include "process.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cardctl/error.hpp"

namespace cardctl::cli {

namespace {
std::atomic<bool> g_stop{false};
extern "C" void on_interrupt(int) { g_stop.store(true); }

[[noreturn]] void fail(const std::string& what) {
  throw Error(ErrorKind::io, what + ": " + std::strerror(errno),
              "cardctl could not secure its own process; nothing was done");
}
}  // namespace

void harden_process() {
  for (int fd = STDIN_FILENO; fd <= STDERR_FILENO; ++fd) {
    if (::fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
    // open() returns the lowest free descriptor: fd itself, since the ones below it are open by now.
    int null = ::open("/dev/null", O_RDONLY);
    if (null < 0) fail("opening /dev/null for the closed descriptor " + std::to_string(fd));
    if (null != fd) {
      ::close(null);
      errno = EBADF;
      fail("reopening the closed descriptor " + std::to_string(fd));
    }
  }
  ::umask(077);
  const struct rlimit no_core {0, 0};
  if (::setrlimit(RLIMIT_CORE, &no_core) != 0) fail("turning off core dumps (RLIMIT_CORE)");
  if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) fail("turning off core dumps (PR_SET_DUMPABLE)");
}

StopOnInterrupt::StopOnInterrupt() {
  g_stop.store(false);
  struct sigaction sa {};
  sa.sa_handler = on_interrupt;
  sa.sa_flags = SA_RESETHAND;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &old_int_);
  sigaction(SIGTERM, &sa, &old_term_);
}

StopOnInterrupt::~StopOnInterrupt() {
  sigaction(SIGINT, &old_int_, nullptr);
  sigaction(SIGTERM, &old_term_, nullptr);
}

const std::atomic<bool>* StopOnInterrupt::stop_requested() { return &g_stop; }

}  // namespace cardctl::cli
