// Command and response APDUs: ISO 7816-4 §5.1 (command-response pairs; the four cases; short and extended
// length fields).
#include "cardctl/apdu.hpp"

namespace cardctl::apdu {

namespace {
constexpr std::size_t kHeader = 4;            // CLA INS P1 P2
constexpr std::size_t kShortMaxNc = 255;      // short Lc: 1..255
constexpr std::size_t kShortMaxNe = 256;      // short Le: 00 means 256
constexpr std::size_t kExtendedMaxNc = 65535;  // extended Lc: 00 + 2 bytes, 1..65535
constexpr std::size_t kExtendedMaxNe = 65536;  // extended Le: 0000 means 65536

[[noreturn]] void malformed(const char* why) {
  throw Error(ErrorKind::wrong_data, std::string("malformed command APDU: ") + why);
}

std::size_t be16(std::uint8_t hi, std::uint8_t lo) { return static_cast<std::size_t>(hi) << 8 | lo; }
std::size_t short_ne(std::uint8_t le) { return le == 0 ? kShortMaxNe : le; }
std::size_t extended_ne(std::uint8_t hi, std::uint8_t lo) {
  std::size_t ne = be16(hi, lo);
  return ne == 0 ? kExtendedMaxNe : ne;
}
}  // namespace

SecureBytes encode(const Command& cmd, bool extended) {
  const std::size_t nc = cmd.data.size();
  if (nc > kExtendedMaxNc) throw Error(ErrorKind::usage, "command data too long for one APDU");
  const bool ext = extended || nc > kShortMaxNc || (cmd.le && *cmd.le > kShortMaxNe);
  SecureBytes out{cmd.cla, cmd.ins, cmd.p1, cmd.p2};
  out.reserve(kHeader + 3 + nc + 3);
  if (!ext) {
    if (nc > 0) {
      out.push_back(static_cast<std::uint8_t>(nc));
      out.insert(out.end(), cmd.data.begin(), cmd.data.end());
    }
    if (cmd.le) out.push_back(static_cast<std::uint8_t>(*cmd.le >= kShortMaxNe ? 0 : *cmd.le));
    return out;
  }
  // Extended: Lc is 00 + 2 bytes; Le is 2 bytes after data, or 00 + 2 bytes when there is no data.
  if (nc > 0) {
    out.push_back(0x00);
    out.push_back(static_cast<std::uint8_t>(nc >> 8));
    out.push_back(static_cast<std::uint8_t>(nc));
    out.insert(out.end(), cmd.data.begin(), cmd.data.end());
  }
  if (cmd.le) {
    const std::size_t le = *cmd.le >= kExtendedMaxNe ? 0 : *cmd.le;
    if (nc == 0) out.push_back(0x00);
    out.push_back(static_cast<std::uint8_t>(le >> 8));
    out.push_back(static_cast<std::uint8_t>(le));
  }
  return out;
}

Command parse_command(ByteView raw) {
  if (raw.size() < kHeader) malformed("shorter than 4 bytes");
  Command cmd;
  cmd.cla = raw[0];
  cmd.ins = raw[1];
  cmd.p1 = raw[2];
  cmd.p2 = raw[3];
  const ByteView body = raw.subspan(kHeader);
  const std::size_t n = body.size();

  if (n == 0) return cmd;  // case 1
  if (n == 1) {            // case 2 short: Le only (a 5-byte APDU, as yubico-piv-tool sends them)
    cmd.le = short_ne(body[0]);
    return cmd;
  }

  if (body[0] != 0) {  // short Lc (1..255): case 3 or case 4 short
    const std::size_t nc = body[0];
    if (n == 1 + nc) {
      cmd.data.assign(body.begin() + 1, body.end());
    } else if (n == 2 + nc) {
      cmd.data.assign(body.begin() + 1, body.end() - 1);
      cmd.le = short_ne(body[n - 1]);
    } else {
      malformed("Lc does not match the data length");
    }
    return cmd;
  }

  // Byte 4 is 00 and more follows: extended length, so at least 3 body bytes (7 in all).
  if (n < 3) malformed("truncated extended length field");
  if (n == 3) {  // case 2 extended: 00 Le1 Le2
    cmd.le = extended_ne(body[1], body[2]);
    return cmd;
  }
  const std::size_t nc = be16(body[1], body[2]);
  if (nc == 0) malformed("extended Lc of zero");
  if (n == 3 + nc) {  // case 3 extended
    cmd.data.assign(body.begin() + 3, body.end());
  } else if (n == 5 + nc) {  // case 4 extended: Le is 2 bytes
    cmd.data.assign(body.begin() + 3, body.end() - 2);
    cmd.le = extended_ne(body[n - 2], body[n - 1]);
  } else {
    malformed("extended Lc does not match the data length");
  }
  return cmd;
}

Response parse_response(ByteView raw) {
  if (raw.size() < 2) throw Error(ErrorKind::protocol, "the card sent a response shorter than a status word");
  Response r;
  r.data.assign(raw.begin(), raw.end() - 2);
  r.sw = static_cast<std::uint16_t>(be16(raw[raw.size() - 2], raw[raw.size() - 1]));
  return r;
}

Bytes encode_response(const Response& r) {
  Bytes out;
  out.reserve(r.data.size() + 2);
  out.assign(r.data.begin(), r.data.end());
  out.push_back(r.sw1());
  out.push_back(r.sw2());
  return out;
}

}  // namespace cardctl::apdu
