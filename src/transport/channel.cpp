// APDU framing above the transport, written once (docs/architecture.md#framing): command chaining, 6Cxx, 61xx / GET
// RESPONSE (ISO 7816-4 §5.1.3, §5.4.1), and the trace with secrets masked.
#include "cardctl/channel.hpp"

#include <string>

namespace cardctl {

namespace {
constexpr std::size_t kShortMaxNc = 255;  // ISO 7816-4 §5.1: short Lc
constexpr std::size_t kShortMaxNe = 256;  // short Le 00
constexpr std::uint8_t kChainBit = 0x10;  // ISO 7816-4 §5.4.1: CLA b5 set = "not the last command of a chain"
// A card that keeps answering 61xx would hold us forever; 1024 rounds is 256 KiB, far above any PIV object.
constexpr std::size_t kMaxGetResponses = 1024;

std::string spaced_hex(ByteView data) {
  const std::string hex = to_hex_upper(data);
  std::string out;
  out.reserve(hex.size() * 3 / 2);
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

std::string joined(std::string a, const std::string& b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  return a + " " + b;
}

// "> 00 20 00 80 08 ** ** ** ** ** ** ** **": header, Lc and Le in clear, a secret data field masked.
std::string command_line(ByteView raw, std::size_t nc, bool secret) {
  if (!secret || nc == 0) return "> " + spaced_hex(raw);
  // The data field follows Lc, which is one byte (short) or 00 and two bytes (extended): ISO 7816-4 §5.1.
  const std::size_t offset = raw[4] == 0 ? 7 : 5;
  return "> " + joined(joined(spaced_hex(raw.first(offset)), masked(nc)), spaced_hex(raw.subspan(offset + nc)));
}

// "< 7C 0A 81 08 ... 90 00", the data masked when the response is secret.
std::string response_line(const apdu::Response& r, bool secret) {
  const std::uint8_t sw[2] = {r.sw1(), r.sw2()};
  return "< " + joined(secret ? masked(r.data.size()) : spaced_hex(r.data), spaced_hex(sw));
}

// cmd with data [from, to) and no Le: one block of a chain. Its data is SecureBytes like every Command's, so a
// block that carries part of a PIN, PUK or key is wiped when it goes, exceptions included.
apdu::Command slice(const apdu::Command& cmd, std::size_t from, std::size_t to) {
  apdu::Command part{cmd.cla, cmd.ins, cmd.p1, cmd.p2, {}, std::nullopt, cmd.secret_data, cmd.secret_response};
  part.data.assign(cmd.data.begin() + static_cast<std::ptrdiff_t>(from),
                   cmd.data.begin() + static_cast<std::ptrdiff_t>(to));
  return part;
}

std::size_t short_ne(std::uint8_t sw2) { return sw2 == 0 ? kShortMaxNe : sw2; }
}  // namespace

Channel::Channel(transport::Connection& connection, TraceSink trace)
    : connection_(&connection), trace_(std::move(trace)) {}

apdu::Response Channel::send(const apdu::Command& cmd) {
  const SecureBytes raw = apdu::encode(cmd);  // short unless the data or Le need extended length; self-wiping
  if (trace_) trace_(command_line(raw, cmd.data.size(), cmd.secret_data));
  ++count_;
  apdu::Response r = connection_->transmit(raw);
  if (trace_) trace_(response_line(r, cmd.secret_response));
  return r;
}

apdu::Response Channel::transmit(const apdu::Command& cmd) {
  const bool extended = connection_->extended_length();
  const bool chained = !extended && cmd.data.size() > kShortMaxNc;
  std::size_t offset = 0;
  apdu::Response r;
  if (chained) {
    for (; cmd.data.size() - offset > kShortMaxNc; offset += kShortMaxNc) {
      apdu::Command block = slice(cmd, offset, offset + kShortMaxNc);
      block.cla = static_cast<std::uint8_t>(cmd.cla | kChainBit);
      r = send(block);
      if (!r.ok()) return r;  // every block but the last must be accepted with 9000
    }
  }
  apdu::Command last = slice(cmd, offset, cmd.data.size());
  last.le = cmd.le;
  if (!extended && last.le && *last.le > kShortMaxNe) last.le = kShortMaxNe;  // the rest comes with 61xx
  r = send(last);

  if ((r.sw & 0xFF00) == apdu::sw::wrong_le) {  // 6Cxx: wrong Le, xx bytes available; resend once
    last.le = short_ne(r.sw2());
    r = send(last);
  }

  // 61xx: xx more bytes (00 = 256 or more) to fetch with GET RESPONSE, until the final status word.
  // apdu::Response::data is plain Bytes (commands carry the secrets; a response rarely does), so the parts of a
  // secret response are still wiped here by hand; the collected whole is self-wiping.
  SecureBytes data(r.data.begin(), r.data.end());  // wiped on every reallocation: it may hold a key
  if (cmd.secret_response) secure_wipe(r.data.data(), r.data.size());
  for (std::size_t rounds = 0; (r.sw & 0xFF00) == apdu::sw::bytes_remaining; ++rounds) {
    if (rounds == kMaxGetResponses)
      throw Error(ErrorKind::protocol,
                  "the card kept announcing more response data after " + std::to_string(rounds) +
                      " GET RESPONSE commands",
                  "remove the card and insert it again; if it happens again the card is faulty");
    const apdu::Command get{0x00, apdu::ins::get_response, 0x00, 0x00, {}, short_ne(r.sw2()), false,
                            cmd.secret_response};
    r = send(get);
    data.insert(data.end(), r.data.begin(), r.data.end());
    if (cmd.secret_response) secure_wipe(r.data.data(), r.data.size());
  }
  r.data.assign(data.begin(), data.end());
  return r;
}

Bytes Channel::transmit_ok(const apdu::Command& cmd, const std::string& what) {
  apdu::Response r = transmit(cmd);
  apdu::check(r, what);
  return std::move(r.data);
}

}  // namespace cardctl
