// Layer 5: APDU framing above the transport, written once (STYLE.md 3): command chaining (CLA 0x10) for data
// longer than 255 bytes, 61xx / GET RESPONSE, 6Cxx re-send, extended length where the connection allows it,
// and the APDU trace with secrets masked.
#pragma once

#include <functional>
#include <string>

#include "cardctl/apdu.hpp"
#include "cardctl/transport.hpp"

namespace cardctl {

/// Receives one trace line per raw APDU exchanged: "> 00A4040005A000000308" / "< 61114F06... 9000".
/// Secret data fields and secret responses are replaced by "**" per byte before the sink sees them.
using TraceSink = std::function<void(const std::string& line)>;

class Channel {
 public:
  explicit Channel(transport::Connection& connection, TraceSink trace = {});
  /// Sends cmd with chaining as needed and collects the whole response (following 61xx). Never throws on a
  /// non-9000 status word; throws Error(card_removed/transport) from the transport.
  apdu::Response transmit(const apdu::Command& cmd);
  /// transmit + apdu::check(what).
  Bytes transmit_ok(const apdu::Command& cmd, const std::string& what);
  transport::Connection& connection() { return *connection_; }
  /// Number of raw APDUs sent so far (benchmarks count them).
  std::size_t apdu_count() const { return count_; }

 private:
  apdu::Response exchange(const apdu::Command& cmd, bool last_in_chain);
  transport::Connection* connection_;
  TraceSink trace_;
  std::size_t count_ = 0;
};

}  // namespace cardctl
