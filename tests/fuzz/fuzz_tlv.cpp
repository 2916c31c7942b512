// BER-TLV parsing never reads outside its input; what parses re-encodes to the same bytes (short tags/lengths
// aside, BER allows several encodings of a length, so only the values are compared).
#include <cstdlib>

#include "cardctl/error.hpp"
#include "cardctl/tlv.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace cardctl;
  try {
    for (const auto& item : tlv::parse(ByteView(data, size))) {
      auto round = tlv::parse(tlv::encode(item.tag, item.value));
      if (round.size() != 1 || round[0].value.size() != item.value.size()) std::abort();
    }
  } catch (const Error&) {
  }
  return 0;
}
