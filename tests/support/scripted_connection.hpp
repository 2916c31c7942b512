// A scripted fake card for unit tests (STYLE.md 2): expected command -> canned reply, fails on mismatch.
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
  /// Pairs of (expected command hex, reply hex incl. status word); spaces allowed.
  using Script = std::vector<std::pair<std::string, std::string>>;
  explicit ScriptedConnection(Script script) : script_(std::move(script)) {}
  ScriptedConnection(std::initializer_list<std::pair<std::string, std::string>> script) : script_(script) {}

  apdu::Response transmit(ByteView command) override {
    if (next_ >= script_.size())
      throw std::logic_error("unexpected command after the script ended: " + to_hex_upper(command));
    const auto& [expected, reply] = script_[next_++];
    if (from_hex(expected) != Bytes(command.begin(), command.end()))
      throw std::logic_error("command " + std::to_string(next_) + ": expected " + to_hex_upper(from_hex(expected)) +
                             ", got " + to_hex_upper(command));
    return apdu::parse_response(from_hex(reply));
  }
  void begin_transaction() override { ++transactions_begun; }
  void end_transaction(transport::Disposition d) override { ended.push_back(d); }
  void disconnect(transport::Disposition d) override { disconnected = d; }
  const std::string& reader() const override { return name_; }
  Bytes atr() const override { return {0x3B, 0x00}; }

  bool done() const { return next_ == script_.size(); }
  int transactions_begun = 0;
  std::vector<transport::Disposition> ended;
  std::optional<transport::Disposition> disconnected;

 private:
  std::vector<std::pair<std::string, std::string>> script_;
  std::size_t next_ = 0;
  std::string name_ = "scripted";
};

}  // namespace cardctl::testing
