// parse_command is fed raw bytes from a card reader's other side (the reference card parses every C-APDU):
// any input either parses or fails with cardctl::Error(wrong_data), and what parses encodes back to exactly
// the same bytes in its own form (ISO 7816-4 §5.1: extended when byte 4 is 00 and there are 7 bytes or more).
// parse_response is fed anything too.
#include <cstdlib>

#include "cardctl/apdu.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace cardctl;
  const ByteView raw(data, size);
  try {
    const apdu::Command c = apdu::parse_command(raw);
    const bool extended = size >= 7 && data[4] == 0;
    if (apdu::encode(c, extended) != SecureBytes(raw.begin(), raw.end())) std::abort();
    if (c.le && (*c.le == 0 || *c.le > 65536)) std::abort();
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::wrong_data) std::abort();
  }
  try {
    const apdu::Response r = apdu::parse_response(raw);
    if (apdu::encode_response(r) != Bytes(raw.begin(), raw.end())) std::abort();
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::protocol || size >= 2) std::abort();
  }
  return 0;
}
