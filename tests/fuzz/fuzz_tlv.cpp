// BER-TLV parsing of card data (ISO 7816-4 §5.2.2) never reads outside its input and fails only with
// cardctl::Error(protocol); every item lies inside the input, and re-encodes to the same tag and value (the
// length may be written shorter: BER allows several encodings of one length). find/expect agree with parse.
#include <algorithm>
#include <cstdlib>

#include "cardctl/error.hpp"
#include "cardctl/tlv.hpp"

namespace {
bool inside(cardctl::ByteView part, const std::uint8_t* begin, std::size_t size) {
  return part.empty() || (part.data() >= begin && part.data() + part.size() <= begin + size);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace cardctl;
  const ByteView input(data, size);
  try {
    const auto items = tlv::parse(input);
    std::size_t total = 0;
    for (const auto& item : items) {
      if (!inside(item.raw, data, size) || !inside(item.value, data, size)) std::abort();
      total += item.raw.size();
      const Bytes encoded = tlv::encode(item.tag, item.value);  // the items view into it: keep it alive
      const auto round = tlv::parse(encoded);
      if (round.size() != 1 || round[0].tag != item.tag ||
          !std::equal(round[0].value.begin(), round[0].value.end(), item.value.begin(), item.value.end()))
        std::abort();
    }
    if (total != size) std::abort();
    if (!items.empty()) {
      const auto found = tlv::find(input, items.front().tag);
      if (!found || found->data() != items.front().value.data()) std::abort();
      if (items.size() == 1 && tlv::expect(input, items.front().tag).size() != items.front().value.size())
        std::abort();
    }
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::protocol) std::abort();
  }
  return 0;
}
