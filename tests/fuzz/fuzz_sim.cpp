// The reference card answers any APDU sequence with a status word and never crashes: the input is split into
// APDUs at 0xFF 0xFE markers and sent to a factory card, with PIN and admin-key steps mixed in by the fuzzer.
#include <algorithm>
#include <cstdlib>

#include "cardctl/error.hpp"
#include "cardctl/sim_card.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace cardctl;
  auto card = sim::ReferenceCard::factory({.serial = 1});
  card.set_random([](std::span<std::uint8_t> out) { std::fill(out.begin(), out.end(), 0x5A); });
  std::size_t start = 0;
  for (std::size_t i = 0; i <= size; ++i) {
    bool end = i == size || (i + 1 < size && data[i] == 0xFF && data[i + 1] == 0xFE);
    if (!end) continue;
    Bytes reply = card.process(ByteView(data + start, i - start));
    if (reply.size() < 2) std::abort();
    start = i + 2;
    ++i;
  }
  return 0;
}
