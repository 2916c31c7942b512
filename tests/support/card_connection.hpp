// A transport::Connection straight onto an in-memory reference card, for session tests that do not need the
// sim: file transport.
#pragma once

#include "cardctl/error.hpp"
#include "cardctl/sim_card.hpp"
#include "cardctl/transport.hpp"

namespace cardctl::testing {

class CardConnection : public transport::Connection {
 public:
  explicit CardConnection(sim::ReferenceCard& card) : card_(&card) {}
  apdu::Response transmit(ByteView command) override {
    if (remove_after >= 0 && sent_++ >= remove_after) throw Error(ErrorKind::card_removed, "the card was removed");
    return apdu::parse_response(card_->process(command));
  }
  /// Fault injection: the card is gone from the (remove_after + 1)-th APDU on; -1: never.
  int remove_after = -1;
  void begin_transaction() override {}
  void end_transaction(transport::Disposition d) override {
    if (d == transport::Disposition::reset) card_->reset();
  }
  void disconnect(transport::Disposition d) override {
    if (d == transport::Disposition::reset) card_->reset();
  }
  const std::string& reader() const override { return name_; }
  Bytes atr() const override { return card_->atr(); }

 private:
  sim::ReferenceCard* card_;
  int sent_ = 0;
  std::string name_ = "test card";
};

}  // namespace cardctl::testing
