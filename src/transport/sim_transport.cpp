// The in-process reference card as a transport::Connection (sim_transport.hpp).
#include "cardctl/sim_transport.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <thread>
#include <utility>

#include "cardctl/error.hpp"
#include "cardctl/files.hpp"
#include "cardctl/sim_card.hpp"

namespace cardctl::transport {

namespace {

constexpr std::string_view kSimPrefix = "sim:";
constexpr auto kLockPollInterval = std::chrono::milliseconds(20);

Error removed_error(const std::string& reader, const std::string& path) {
  return Error(ErrorKind::card_removed, "card removed from reader " + reader,
               "put the card back with: cardsim fault " + path + " --clear");
}

class SimConnection final : public Connection {
 public:
  SimConnection(std::string path, ShareMode mode, SimOptions options)
      : path_(std::move(path)), reader_(std::string(kSimPrefix) + path_), mode_(mode), options_(options),
        lock_(path_) {
    if (!files::exists(path_)) {
      throw Error(ErrorKind::not_found, "no reference card at " + path_ + " (reader " + reader_ + ")",
                  "create one with: cardsim create " + path_);
    }
    if (mode_ == ShareMode::exclusive) {
      hold();
      if (card_->vanished()) {
        drop();
        throw removed_error(reader_, path_);
      }
      atr_ = card_->atr();
    } else {
      // Saves are atomic renames, so an unlocked read sees a whole card.
      sim::ReferenceCard card = load();
      if (card.vanished()) throw removed_error(reader_, path_);
      atr_ = card.atr();
    }
  }

  ~SimConnection() override {
    try {
      disconnect(Disposition::reset);
    } catch (...) {
    }
  }

  apdu::Response transmit(ByteView command) override {
    require_connected();
    const bool transient = !locked();
    if (transient) hold();
    Bytes reply;
    try {
      reply = process(command);
    } catch (...) {
      if (transient) drop();
      throw;
    }
    if (transient) drop();
    return apdu::parse_response(reply);
  }

  void begin_transaction() override {
    require_connected();
    if (in_transaction_) return;
    if (mode_ == ShareMode::shared) hold();
    in_transaction_ = true;
  }

  void end_transaction(Disposition disposition) override {
    if (!connected_ || !in_transaction_) return;
    in_transaction_ = false;
    if (disposition == Disposition::reset) power_cycle();
    if (mode_ == ShareMode::shared) drop();
  }

  void disconnect(Disposition disposition) override {
    if (!connected_) return;
    connected_ = false;
    in_transaction_ = false;
    if (disposition == Disposition::reset) {
      // The lock is needed to reset; if it cannot be had the card state stays as it is.
      try {
        hold();
        power_cycle();
      } catch (...) {
        drop();
        throw;
      }
    }
    drop();
  }

  const std::string& reader() const override { return reader_; }
  Bytes atr() const override { return atr_; }
  // Same APDU sequence as through a PC/SC reader (command chaining, not extended length), so sim: runs
  // exercise and count what a real reader sees.
  bool extended_length() const override { return false; }

 private:
  bool locked() const { return mode_ == ShareMode::exclusive || in_transaction_; }

  void require_connected() const {
    if (!connected_) throw Error(ErrorKind::internal, "reader " + reader_ + " is not connected");
  }

  sim::ReferenceCard load() const {
    return with_context("opening " + reader_, [&] { return sim::ReferenceCard::load(path_); });
  }

  // Takes the lock and reads the current card: another process may have changed it since we last held it.
  void hold() {
    lock_.acquire(options_.lock_timeout);
    if (!card_) card_.emplace(load());
  }

  void drop() noexcept {
    card_.reset();
    lock_.release();
  }

  void save() { card_->save(path_); }

  Bytes process(ByteView command) {
    if (card_->vanished()) throw removed_error(reader_, path_);
    Bytes reply;
    try {
      reply = card_->process(command);
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::card_removed) throw;
      // Pulling a card cuts its power: the session state is gone when it comes back.
      card_->reset();
      save();
      throw removed_error(reader_, path_);
    }
    save();
    return reply;
  }

  // SCARD_RESET_CARD: a warm reset clears the session state (PIN verified, admin authentication, challenge).
  void power_cycle() {
    if (card_->vanished()) return;
    card_->reset();
    save();
  }

  std::string path_;
  std::string reader_;
  ShareMode mode_;
  SimOptions options_;
  StateFileLock lock_;
  std::optional<sim::ReferenceCard> card_;  // set while the lock is held
  Bytes atr_;
  bool connected_ = true;
  bool in_transaction_ = false;
};

}  // namespace

std::string sim_path(std::string_view spec) {
  if (spec.starts_with(kSimPrefix)) spec.remove_prefix(kSimPrefix.size());
  return std::string(spec);
}

std::unique_ptr<Connection> connect_sim(std::string_view spec, ShareMode mode, const SimOptions& options) {
  const std::string path = sim_path(spec);
  if (path.empty()) {
    throw Error(ErrorKind::usage, "'sim:' needs the path of a card state file, e.g. sim:card.json",
                "create one with: cardsim create FILE");
  }
  return std::make_unique<SimConnection>(path, mode, options);
}

StateFileLock::StateFileLock(std::string state_path) : state_path_(std::move(state_path)) {}

StateFileLock::StateFileLock(StateFileLock&& other) noexcept
    : state_path_(std::move(other.state_path_)), fd_(std::exchange(other.fd_, -1)) {}

StateFileLock::~StateFileLock() { release(); }

std::string StateFileLock::lock_path(const std::string& state_path) { return state_path + ".lock"; }

void StateFileLock::acquire(std::chrono::milliseconds timeout) {
  if (fd_ >= 0) return;
  const std::string path = lock_path(state_path_);
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    throw Error(ErrorKind::io, "cannot open the lock file " + path + ": " + std::strerror(errno),
                "check that the directory of " + state_path_ + " is writable");
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    if (err == EINTR) continue;
    if (err != EWOULDBLOCK || std::chrono::steady_clock::now() >= deadline) {
      ::close(fd);
      if (err != EWOULDBLOCK) {
        throw Error(ErrorKind::io, "cannot lock " + path + ": " + std::strerror(err));
      }
      throw Error(ErrorKind::conflict, "the card sim:" + state_path_ + " is in use by another process",
                  "wait for it to finish (a running `cardsim serve` holds its cards until it stops)");
    }
    std::this_thread::sleep_for(kLockPollInterval);
  }
  fd_ = fd;
}

void StateFileLock::release() noexcept {
  if (fd_ < 0) return;
  ::flock(fd_, LOCK_UN);
  ::close(fd_);
  fd_ = -1;
}

}  // namespace cardctl::transport
