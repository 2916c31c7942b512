// harden_process (process.hpp): run in a forked child, whose state does not leak into the other tests.
#include <doctest/doctest.h>

#include <cerrno>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "process.hpp"

using cardctl::cli::harden_process;

namespace {

// Runs check() in a child process and returns its exit status: 0 when every check passed, else the number of
// the first one that failed (the child cannot report through doctest: its stdout may be closed).
template <class F>
int in_child(F check) {
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) ::_exit(check());
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  return WEXITSTATUS(status);
}

bool is_dev_null(int fd) {
  struct stat a {}, b {};
  return ::fstat(fd, &a) == 0 && ::stat("/dev/null", &b) == 0 && S_ISCHR(a.st_mode) && a.st_rdev == b.st_rdev;
}

}  // namespace

TEST_CASE("closed descriptors 0-2 are opened on /dev/null, so that no file the command opens takes their place") {
  int status = in_child([] {
    ::close(STDIN_FILENO);
    ::close(STDOUT_FILENO);
    ::close(STDERR_FILENO);
    try {
      harden_process();
    } catch (...) {
      return 1;
    }
    for (int fd = 0; fd <= 2; ++fd)
      if (!is_dev_null(fd)) return 2 + fd;
    char c = 0;
    if (::read(STDIN_FILENO, &c, 1) != 0) return 5;  // stdin: end of input
    errno = 0;
    if (::write(STDOUT_FILENO, "x", 1) != -1 || errno != EBADF) return 6;  // a write still fails, as when closed
    if (::write(STDERR_FILENO, "x", 1) != -1 || errno != EBADF) return 7;
    int file = ::open("/dev/null", O_RDONLY);
    if (file <= STDERR_FILENO) return 8;
    return 0;
  });
  CHECK(status == 0);
}

TEST_CASE("open descriptors 0-2 are left as they are") {
  int status = in_child([] {
    int fds[2];
    if (::pipe(fds) != 0 || ::dup2(fds[1], STDOUT_FILENO) < 0) return 1;
    harden_process();
    if (is_dev_null(STDOUT_FILENO)) return 2;
    if (::write(STDOUT_FILENO, "x", 1) != 1) return 3;
    return 0;
  });
  CHECK(status == 0);
}

TEST_CASE("umask 077, no core file and not dumpable") {
  int status = in_child([] {
    ::umask(022);
    struct rlimit unlimited {RLIM_INFINITY, RLIM_INFINITY};
    ::setrlimit(RLIMIT_CORE, &unlimited);  // as after `ulimit -c unlimited` (may fail without privilege)
    harden_process();
    if (::umask(077) != 077) return 1;
    struct rlimit core {};
    if (::getrlimit(RLIMIT_CORE, &core) != 0 || core.rlim_cur != 0 || core.rlim_max != 0) return 2;
    if (::prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0) return 3;
    return 0;
  });
  CHECK(status == 0);
}
