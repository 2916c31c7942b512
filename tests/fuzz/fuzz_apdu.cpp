// Any byte string parses as a command APDU or fails with a cardctl::Error; what parses encodes back to a parse
// that is equal.
#include <cstdlib>

#include "cardctl/apdu.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace cardctl;
  try {
    auto c = apdu::parse_command(ByteView(data, size));
    auto again = apdu::parse_command(apdu::encode(c, size > 4 && data[4] == 0 && size > 5));
    if (again.data != c.data || again.ins != c.ins) std::abort();
  } catch (const Error&) {
  }
  try {
    apdu::parse_response(ByteView(data, size));
  } catch (const Error&) {
  }
  return 0;
}
