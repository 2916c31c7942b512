#include "cardctl/bytes.hpp"

#include <openssl/crypto.h>

#include "cardctl/error.hpp"

namespace cardctl {

void secure_wipe(void* data, std::size_t size) noexcept {
  if (data != nullptr && size != 0) OPENSSL_cleanse(data, size);
}

namespace {
std::string hex(ByteView data, const char* digits) {
  std::string out;
  out.reserve(data.size() * 2);
  for (auto b : data) {
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 0x0F]);
  }
  return out;
}
int nibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::string to_hex(ByteView data) { return hex(data, "0123456789abcdef"); }
std::string to_hex_upper(ByteView data) { return hex(data, "0123456789ABCDEF"); }

namespace {
// Out is Bytes or SecureBytes: a secret read as hex never passes through a buffer that is freed unwiped.
template <class Out>
Out parse_hex(std::string_view text) {
  Out out;
  out.reserve(text.size() / 2);
  int high = -1;
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == ':' || c == '-' || c == '\n' || c == '\r') continue;
    int v = nibble(c);
    if (v < 0) throw Error(ErrorKind::usage, std::string("not a hex digit: '") + c + "'");
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<std::uint8_t>(high << 4 | v));
      high = -1;
    }
  }
  if (high >= 0) throw Error(ErrorKind::usage, "odd number of hex digits");
  return out;
}
}  // namespace

Bytes from_hex(std::string_view text) { return parse_hex<Bytes>(text); }
SecureBytes secure_from_hex(std::string_view text) { return parse_hex<SecureBytes>(text); }

}  // namespace cardctl
