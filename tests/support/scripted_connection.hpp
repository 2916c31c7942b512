// A scripted fake card for unit tests (docs/architecture.md#transport; like libfido2's replayed wire data): a list of
// (expected command, canned reply) pairs in hex. transmit() fails the test with std::logic_error, naming both APDUs,
// when the command differs from the next expected one or when the script has run out. It records transactions and the
// disconnect disposition, so a test can check how the card was left.
//
//   ScriptedConnection card({{"00 A4 04 00 05 A0 00 00 03 08", "61 11 4F 06 ... 90 00"},
//                            {"00 20 00 80 08 31 32 33 34 35 36 FF FF", "63 C2"}});
//   ... run the code under test on card ...
//   CHECK(card.done());
#pragma once

#include <initializer_list>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "cardctl/transport.hpp"

namespace cardctl::testing {

class ScriptedConnection : public transport::Connection {
 public:
  /// Pairs of (expected command hex, reply hex including the status word); spaces allowed.
  using Script = std::vector<std::pair<std::string, std::string>>;
  explicit ScriptedConnection(Script script) : script_(std::move(script)) {}
  ScriptedConnection(std::initializer_list<std::pair<std::string, std::string>> script) : script_(script) {}

  apdu::Response transmit(ByteView command) override {
    const std::string got = to_hex_upper(command);
    if (next_ >= script_.size())
      throw std::logic_error("scripted card: command " + std::to_string(next_ + 1) + " " + got +
                             " arrived after the script ended (" + std::to_string(script_.size()) + " exchanges)");
    const auto& [expected, reply] = script_[next_];
    const std::string want = to_hex_upper(from_hex(expected));
    if (want != got)
      throw std::logic_error("scripted card: command " + std::to_string(next_ + 1) + ": expected " + want +
                             ", got " + got);
    ++next_;
    return apdu::parse_response(from_hex(reply));
  }
  void begin_transaction() override { ++transactions_begun; }
  void end_transaction(transport::Disposition d) override { ended.push_back(d); }
  void disconnect(transport::Disposition d) override {
    if (!disconnected) disconnected = d;  // idempotent, as the contract says: the first disposition counts
  }
  const std::string& reader() const override { return reader_; }
  Bytes atr() const override { return atr_; }
  bool extended_length() const override { return extended_length_; }

  /// Whether every expected exchange happened.
  bool done() const { return next_ == script_.size(); }
  /// How many exchanges happened so far.
  std::size_t exchanged() const { return next_; }
  /// The next expected command (hex as written in the script), or "" when the script is done: for messages.
  std::string next_expected() const { return done() ? std::string() : script_[next_].first; }

  ScriptedConnection& set_extended_length(bool on) {
    extended_length_ = on;
    return *this;
  }
  ScriptedConnection& set_reader(std::string name) {
    reader_ = std::move(name);
    return *this;
  }
  ScriptedConnection& set_atr(Bytes atr) {
    atr_ = std::move(atr);
    return *this;
  }

  int transactions_begun = 0;
  std::vector<transport::Disposition> ended;
  std::optional<transport::Disposition> disconnected;

 private:
  Script script_;
  std::size_t next_ = 0;
  std::string reader_ = "scripted";
  Bytes atr_ = {0x3B, 0x00};
  bool extended_length_ = false;
};

}  // namespace cardctl::testing
