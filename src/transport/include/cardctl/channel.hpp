// Layer 5: APDU framing above the transport, written once (docs/architecture.md#framing): command chaining (CLA 0x10)
// for data longer than 255 bytes, 61xx / GET RESPONSE, 6Cxx re-send, extended length where the connection allows it,
// and the APDU trace with secrets masked. Short APDUs are sent whenever they suffice.
#pragma once

#include <functional>
#include <string>

#include "cardctl/apdu.hpp"
#include "cardctl/transport.hpp"

namespace cardctl {

/// Receives one trace line per raw APDU exchanged: "> 00 A4 04 00 05 A0 00 00 03 08" / "< 61 11 4F 06 ... 90 00".
/// Secret data fields (Command::secret_data, every block of a chain) and secret responses
/// (Command::secret_response, every GET RESPONSE part) show "**" per byte before the sink sees them.
using TraceSink = std::function<void(const std::string& line)>;

class Channel {
 public:
  explicit Channel(transport::Connection& connection, TraceSink trace = {});
  /// Sends cmd with chaining as needed and collects the whole response (following 61xx). On a short-length
  /// connection data over 255 bytes goes out as CLA|10 blocks of 255 (the first refused block's response is
  /// returned) and Le over 256 is sent as 00. 6Cxx: the (last) command is re-sent once with Le = xx. Never
  /// throws on a non-9000 status word; throws Error(card_removed/transport) from the transport, and
  /// Error(protocol) when a card announces more data (61xx) without end. Secrets are never in an exception.
  apdu::Response transmit(const apdu::Command& cmd);
  /// transmit + apdu::check(what).
  Bytes transmit_ok(const apdu::Command& cmd, const std::string& what);
  transport::Connection& connection() { return *connection_; }
  /// Number of raw APDUs sent so far, chained blocks, GET RESPONSEs and re-sends included (benchmarks count them).
  std::size_t apdu_count() const { return count_; }

 private:
  apdu::Response send(const apdu::Command& cmd);  // one raw APDU, traced and counted
  transport::Connection* connection_;
  TraceSink trace_;
  std::size_t count_ = 0;
};

}  // namespace cardctl
