// Layer 4: a connection that counts the raw APDUs sent through it into a counter shared by every connection of
// one run, so that a command can say how many it exchanged with the cards (`--verbose`, the `apdus` member of
// `--json`; cardctl(1), OUTPUT). Counting below the framing layer sees what the reader sees: chained blocks,
// GET RESPONSEs and re-sends each count once, as in pcscd's own APDU log.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>

#include "cardctl/transport.hpp"

namespace cardctl::transport {

using ApduCounter = std::shared_ptr<std::atomic<std::size_t>>;

class CountedConnection final : public Connection {
 public:
  CountedConnection(std::unique_ptr<Connection> inner, ApduCounter counter)
      : inner_(std::move(inner)), counter_(std::move(counter)) {}

  apdu::Response transmit(ByteView command) override {
    counter_->fetch_add(1);
    return inner_->transmit(command);
  }
  void begin_transaction() override { inner_->begin_transaction(); }
  void end_transaction(Disposition disposition) override { inner_->end_transaction(disposition); }
  void disconnect(Disposition disposition) override { inner_->disconnect(disposition); }
  const std::string& reader() const override { return inner_->reader(); }
  Bytes atr() const override { return inner_->atr(); }
  bool extended_length() const override { return inner_->extended_length(); }

 private:
  std::unique_ptr<Connection> inner_;
  ApduCounter counter_;
};

}  // namespace cardctl::transport
