#include "cardctl/apdu.hpp"

namespace cardctl::apdu {

namespace {
[[noreturn]] void malformed(const char* why) {
  throw Error(ErrorKind::wrong_data, std::string("malformed command APDU: ") + why);
}
}  // namespace

Bytes encode(const Command& cmd, bool extended) {
  const std::size_t nc = cmd.data.size();
  const bool ext = extended || nc > 255 || (cmd.le && *cmd.le > 256);
  if (nc > 65535) throw Error(ErrorKind::usage, "command data too long for one APDU");
  Bytes out{cmd.cla, cmd.ins, cmd.p1, cmd.p2};
  if (!ext) {
    if (nc > 0) {
      out.push_back(static_cast<std::uint8_t>(nc));
      out.insert(out.end(), cmd.data.begin(), cmd.data.end());
    }
    if (cmd.le) out.push_back(static_cast<std::uint8_t>(*cmd.le >= 256 ? 0 : *cmd.le));
    return out;
  }
  // ISO 7816-4 §5.1: extended length fields.
  if (nc > 0) {
    out.push_back(0x00);
    out.push_back(static_cast<std::uint8_t>(nc >> 8));
    out.push_back(static_cast<std::uint8_t>(nc));
    out.insert(out.end(), cmd.data.begin(), cmd.data.end());
  }
  if (cmd.le) {
    std::size_t le = *cmd.le >= 65536 ? 0 : *cmd.le;
    if (nc == 0) out.push_back(0x00);
    out.push_back(static_cast<std::uint8_t>(le >> 8));
    out.push_back(static_cast<std::uint8_t>(le));
  }
  return out;
}

Command parse_command(ByteView raw) {
  if (raw.size() < 4) malformed("shorter than 4 bytes");
  Command cmd;
  cmd.cla = raw[0];
  cmd.ins = raw[1];
  cmd.p1 = raw[2];
  cmd.p2 = raw[3];
  auto body = raw.subspan(4);
  if (body.empty()) return cmd;  // case 1
  if (body.size() == 1) {        // case 2 short
    cmd.le = body[0] == 0 ? 256 : body[0];
    return cmd;
  }
  if (body[0] != 0) {  // short case 3 or 4
    std::size_t nc = body[0];
    if (body.size() == 1 + nc) {
      cmd.data.assign(body.begin() + 1, body.end());
    } else if (body.size() == 2 + nc) {
      cmd.data.assign(body.begin() + 1, body.begin() + 1 + static_cast<long>(nc));
      cmd.le = body.back() == 0 ? 256 : body.back();
    } else {
      malformed("Lc does not match the data length");
    }
    return cmd;
  }
  // body[0] == 0 and more than one byte: extended length.
  if (body.size() == 3) {  // case 2 extended
    std::size_t le = static_cast<std::size_t>(body[1]) << 8 | body[2];
    cmd.le = le == 0 ? 65536 : le;
    return cmd;
  }
  if (body.size() < 3) malformed("truncated extended length");
  std::size_t nc = static_cast<std::size_t>(body[1]) << 8 | body[2];
  if (nc == 0) malformed("extended Lc of zero");
  if (body.size() == 3 + nc) {
    cmd.data.assign(body.begin() + 3, body.end());
  } else if (body.size() == 5 + nc) {
    cmd.data.assign(body.begin() + 3, body.begin() + 3 + static_cast<long>(nc));
    std::size_t le = static_cast<std::size_t>(body[3 + nc]) << 8 | body[4 + nc];
    cmd.le = le == 0 ? 65536 : le;
  } else {
    malformed("extended Lc does not match the data length");
  }
  return cmd;
}

Response parse_response(ByteView raw) {
  if (raw.size() < 2) throw Error(ErrorKind::protocol, "the card sent a response shorter than a status word");
  Response r;
  r.data.assign(raw.begin(), raw.end() - 2);
  r.sw = static_cast<std::uint16_t>(raw[raw.size() - 2] << 8 | raw[raw.size() - 1]);
  return r;
}

Bytes encode_response(const Response& r) {
  Bytes out = r.data;
  out.push_back(r.sw1());
  out.push_back(r.sw2());
  return out;
}

}  // namespace cardctl::apdu
