// Layer 5: the transport. One I/O method (transmit raw bytes -> data + status word, no throwing on
// non-9000), plus transaction and disconnect control (docs/architecture.md#transport). Implementations: PC/SC
// (pcsc.hpp), the in-process reference card (sim_transport.hpp), and a scripted fake for unit tests (tests only).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "cardctl/apdu.hpp"
#include "cardctl/bytes.hpp"

namespace cardctl::transport {

enum class ShareMode { shared, exclusive };
/// What happens to the card when a connection or transaction ends (SCARD_LEAVE_CARD / SCARD_RESET_CARD).
enum class Disposition { leave, reset };

struct ReaderInfo {
  std::string name;
  bool card_present = false;
  Bytes atr;  // empty when no card
  /// Card insertions and removals the reader has seen (pcsc-lite: the upper 16 bits of dwEventState), so that
  /// a card swapped faster than a poll is still told from the one before; 0 where the system does not count.
  std::uint32_t events = 0;
};

class Connection {
 public:
  virtual ~Connection() = default;
  /// Sends one raw C-APDU, returns the raw R-APDU split into data and status word. Throws Error(card_removed)
  /// naming the reader when the card has gone, Error(transport) on other reader failures.
  virtual apdu::Response transmit(ByteView command) = 0;
  virtual void begin_transaction() = 0;
  virtual void end_transaction(Disposition disposition) = 0;
  /// Idempotent; the destructor disconnects with Disposition::reset if not done before.
  virtual void disconnect(Disposition disposition) = 0;
  virtual const std::string& reader() const = 0;
  virtual Bytes atr() const = 0;
  /// Whether extended-length APDUs may be sent (false for PC/SC readers unless known).
  virtual bool extended_length() const { return false; }
};

/// RAII transaction: begin on construction, end (leave) on destruction.
class Transaction {
 public:
  explicit Transaction(Connection& c, Disposition on_end = Disposition::leave) : c_(&c), on_end_(on_end) {
    c_->begin_transaction();
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction() {
    try {
      if (c_ != nullptr) c_->end_transaction(on_end_);
    } catch (...) {
    }
  }
  void set_disposition(Disposition d) { on_end_ = d; }

 private:
  Connection* c_;
  Disposition on_end_;
};

class ReaderSystem {
 public:
  virtual ~ReaderSystem() = default;
  virtual std::vector<ReaderInfo> list_readers() = 0;
  virtual std::unique_ptr<Connection> connect(const std::string& reader, ShareMode mode) = 0;
  /// Waits until a reader comes or goes or a card is put in or taken out, or until the timeout; true for a
  /// change. The default only sleeps, for systems that cannot tell: the caller lists the readers again anyway.
  virtual bool wait_for_change(std::chrono::milliseconds timeout) {
    std::this_thread::sleep_for(timeout);
    return false;
  }
};

/// Reader matching (docs/architecture.md#card-selection): a plain pattern matches reader names containing it
/// (case-insensitive); "@NAME" matches exactly. Returns the matching readers in order.
std::vector<ReaderInfo> match_readers(const std::vector<ReaderInfo>& readers, std::string_view pattern);

/// True for "sim:PATH" reader specs.
bool is_sim_spec(std::string_view spec);

}  // namespace cardctl::transport
