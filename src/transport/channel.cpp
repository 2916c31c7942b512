#include "cardctl/channel.hpp"

#include <string>

namespace cardctl {

namespace {
constexpr std::size_t kShortMax = 255;
constexpr std::uint8_t kChainBit = 0x10;  // ISO 7816-4 §5.4.1 command chaining

std::string spaced_hex(ByteView data) {
  std::string hex = to_hex_upper(data), out;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    if (i != 0) out.push_back(' ');
    out.append(hex, i, 2);
  }
  return out;
}

std::string masked(std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += i == 0 ? "**" : " **";
  return out;
}
}  // namespace

Channel::Channel(transport::Connection& connection, TraceSink trace)
    : connection_(&connection), trace_(std::move(trace)) {}

apdu::Response Channel::exchange(const apdu::Command& cmd, bool) {
  Bytes raw = apdu::encode(cmd, connection_->extended_length());
  if (trace_) {
    Bytes header(raw.begin(), raw.begin() + 4);
    std::string line = "> " + spaced_hex(raw);
    if (cmd.secret_data && !cmd.data.empty()) {
      // Header and length bytes in clear, the data masked.
      std::size_t prefix = raw.size() - cmd.data.size() - (cmd.le ? 1 : 0);
      line = "> " + spaced_hex(ByteView(raw).first(prefix)) + " " + masked(cmd.data.size());
      if (cmd.le) line += " " + spaced_hex(ByteView(raw).last(1));
    }
    trace_(line);
  }
  ++count_;
  apdu::Response r = connection_->transmit(raw);
  if (cmd.secret_data) secure_wipe(raw.data(), raw.size());
  if (trace_) {
    std::uint8_t sw[2] = {r.sw1(), r.sw2()};
    std::string data = r.data.empty() ? "" : (cmd.secret_response ? masked(r.data.size()) : spaced_hex(r.data)) + " ";
    trace_("< " + data + spaced_hex(sw));
  }
  return r;
}

apdu::Response Channel::transmit(const apdu::Command& cmd) {
  apdu::Response r;
  if (!connection_->extended_length() && cmd.data.size() > kShortMax) {
    std::size_t offset = 0;
    while (cmd.data.size() - offset > kShortMax) {
      apdu::Command block = cmd;
      block.cla = static_cast<std::uint8_t>(cmd.cla | kChainBit);
      block.data.assign(cmd.data.begin() + static_cast<long>(offset),
                        cmd.data.begin() + static_cast<long>(offset + kShortMax));
      block.le.reset();
      r = exchange(block, false);
      if (!r.ok()) return r;
      offset += kShortMax;
    }
    apdu::Command last = cmd;
    last.data.assign(cmd.data.begin() + static_cast<long>(offset), cmd.data.end());
    r = exchange(last, true);
  } else {
    r = exchange(cmd, true);
  }
  if (r.sw1() == 0x6C) {  // ISO 7816-4 §5.1.3: wrong Le, resend with the exact length
    apdu::Command again = cmd;
    again.le = r.sw2() == 0 ? 256 : r.sw2();
    r = exchange(again, true);
  }
  Bytes collected = std::move(r.data);
  while (r.sw1() == 0x61) {  // more data: GET RESPONSE
    apdu::Command get{0x00, apdu::ins::get_response, 0x00, 0x00, {}, r.sw2() == 0 ? 256 : r.sw2(), false,
                      cmd.secret_response};
    r = exchange(get, true);
    collected.insert(collected.end(), r.data.begin(), r.data.end());
  }
  r.data = std::move(collected);
  return r;
}

Bytes Channel::transmit_ok(const apdu::Command& cmd, const std::string& what) {
  apdu::Response r = transmit(cmd);
  apdu::check(r, what);
  return std::move(r.data);
}

}  // namespace cardctl
