// One reference card presented to pcscd through one vpcd slot (vsmartcard's virtual reader). The card is the
// TCP client: it connects to vpcd's port and answers what vpcd sends (the vsmartcard vpcd protocol): each message is a
// 2-byte big-endian length and a payload; a 1-byte payload is control (00 power off, 01 power on, 02 reset,
// 04 "send the ATR"); anything longer is a C-APDU answered with the R-APDU. An open connection is "card
// inserted"; closing it is "card removed".
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>

#include "cardctl/bytes.hpp"
#include "cardctl/sim_card.hpp"
#include "cardsim.hpp"
#include "delay_profile.hpp"

namespace cardsim {

struct SlotStatus {
  int index = 0;
  std::string file;
  std::uint16_t port = 0;
  std::string atr;         // lower-case hex
  bool inserted = false;   // wanted in the reader (not removed by control or fault)
  bool connected = false;  // TCP connection to vpcd open
  bool vanished = false;   // vanished by fault injection
  std::uint64_t apdus = 0;
};

class VpcdSlot {
 public:
  VpcdSlot(int index, std::string file, const ServeOptions& options, const DelayProfile& delays,
           cardctl::sim::ReferenceCard card);
  VpcdSlot(const VpcdSlot&) = delete;
  VpcdSlot& operator=(const VpcdSlot&) = delete;
  ~VpcdSlot();

  /// The slot's thread: keeps the card connected to vpcd (reconnecting when pcscd restarts) until `stopping`.
  void run(const std::atomic<bool>& stopping);
  /// Interrupts run()'s wait, so that it sees `stopping` or a control request.
  void wake();

  // Control from another thread. Each returns once the slot thread has applied it.
  void remove();                       // close the connection: the reader sees no card
  void insert();                       // clear any fault and reconnect
  void vanish_after(std::uint64_t n);  // fault: the card vanishes after n more APDUs
  /// Another card in the same reader: a factory-fresh one with this serial replaces the card (its state file is
  /// rewritten) and is inserted; what a person does when swapping cards during a batch.
  void swap_in_factory_card(std::uint32_t serial);
  SlotStatus status() const;

 private:
  enum class Op { remove, insert, vanish_after, swap };
  struct Request {
    Op op;
    std::uint64_t n = 0;
  };

  void step();  // one round of run()
  void request(Request r);
  void apply_requests();
  void wait_for_wake(int timeout_ms);
  void drain_wake();
  bool try_connect();
  void disconnect(const std::string& why);
  /// Reads and answers one message; false when vpcd closed the connection or failed.
  bool serve_message();
  bool answer_control(std::uint8_t code);
  bool answer_apdu(const cardctl::Bytes& command);
  bool send_message(cardctl::ByteView payload);
  void save();
  void log(const std::string& line) const;

  const int index_;
  const std::string file_;
  const ServeOptions& options_;
  const DelayProfile& delays_;
  const std::uint16_t port_;
  std::string atr_hex_;
  cardctl::sim::ReferenceCard card_;  // used by the slot thread only
  int fd_ = -1;
  int wake_[2] = {-1, -1};

  mutable std::mutex mutex_;
  std::condition_variable applied_cv_;
  std::deque<Request> requests_;
  std::uint64_t requested_ = 0, applied_ = 0;
  bool inserted_ = true;
  bool connected_ = false;
  bool vanished_ = false;
  std::uint64_t apdus_ = 0;
};

}  // namespace cardsim
