// Layer 10: what the cardctl process sets up for itself before it parses its arguments, opens a file or loads a
// secret (the master key in respond, init and issue; PINs and PUKs everywhere).
#pragma once

#include <atomic>
#include <csignal>

namespace cardctl::cli {

/// Called first thing in main:
/// - file descriptors 0, 1 and 2 are open: each closed one is pointed at /dev/null, as OpenSSH does
///   (sanitise_stdfd), so that a file cardctl opens later (a card's lock file, the audit trail) cannot become
///   its stdout or stderr. /dev/null is opened read-only, so that writing to a stdout or stderr that was closed
///   still fails (EBADF) and is reported (exit 8), instead of succeeding silently;
/// - umask 077: whatever cardctl creates is readable by its owner only, whatever mode a library asks for;
/// - no core dumps: RLIMIT_CORE 0 (soft and hard, setrlimit(2)) and not dumpable (prctl(2) PR_SET_DUMPABLE 0),
///   so that a crash leaves no copy of the keys in memory on disk, and other processes of the same user cannot
///   attach to it or read its memory.
/// Throws Error(io) when one of these cannot be done.
void harden_process();

/// While it lives, SIGINT and SIGTERM set stop_requested() instead of ending the process, so that a long command
/// (a batch) can finish what it has started; a second signal ends the process as usual (SA_RESETHAND). One at a
/// time; the previous handlers come back when it ends.
class StopOnInterrupt {
 public:
  StopOnInterrupt();
  ~StopOnInterrupt();
  StopOnInterrupt(const StopOnInterrupt&) = delete;
  StopOnInterrupt& operator=(const StopOnInterrupt&) = delete;

  /// The flag the signal sets, for the work to poll.
  static const std::atomic<bool>* stop_requested();

 private:
  struct sigaction old_int_ {}, old_term_ {};
};

}  // namespace cardctl::cli
