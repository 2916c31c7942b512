// Layer 5: the in-process reference card behind the transport interface ("sim:PATH" readers,
// docs/architecture.md#reference-card). The state file is the card: it is loaded when a locked section starts, and
// saved atomically after every APDU, so a crash never leaves a half-written card and another process sees each APDU's
// effect. Exclusivity between processes is an flock() on a lock file beside the state file (PATH.lock: the state file
// itself is replaced on every save, so a lock on it would not survive the rename).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "cardctl/transport.hpp"

namespace cardctl::transport {

struct SimOptions {
  /// How long to wait for another process to release the card (its exclusive connection or transaction)
  /// before failing with Error(conflict). Zero: fail at once.
  std::chrono::milliseconds lock_timeout{10000};
};

/// "sim:PATH" -> "PATH"; a spec without the prefix is returned unchanged.
std::string sim_path(std::string_view spec);

/// Connects to the reference card in the state file named by spec ("sim:PATH" or a plain path). The reader
/// name is "sim:PATH". Exclusive mode holds the lock for the whole connection; in shared mode each
/// transaction, and each APDU sent outside one, holds it. Error(not_found) when the file does not exist,
/// Error(card_removed) when the card has vanished (fault injection), Error(conflict) when another process
/// keeps it locked for longer than options.lock_timeout.
std::unique_ptr<Connection> connect_sim(std::string_view spec, ShareMode mode, const SimOptions& options = {});

/// The exclusive lock on a card state file, as taken by sim: connections and by `cardsim serve` (which holds
/// it while it serves the card, so that no one else edits a card pcscd is using).
class StateFileLock {
 public:
  explicit StateFileLock(std::string state_path);
  StateFileLock(const StateFileLock&) = delete;
  StateFileLock& operator=(const StateFileLock&) = delete;
  StateFileLock(StateFileLock&& other) noexcept;
  StateFileLock& operator=(StateFileLock&&) = delete;
  ~StateFileLock();

  /// Takes the lock, waiting up to `timeout`; Error(conflict) naming the card if it stays taken, Error(io)
  /// if the lock file cannot be opened. No-op when already held.
  void acquire(std::chrono::milliseconds timeout);
  void release() noexcept;
  bool held() const noexcept { return fd_ >= 0; }
  /// PATH + ".lock".
  static std::string lock_path(const std::string& state_path);

 private:
  std::string state_path_;
  int fd_ = -1;
};

}  // namespace cardctl::transport
