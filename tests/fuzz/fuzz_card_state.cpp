// The reference card's state file (src/sim/card_state.cpp), damaged or hand-edited: load() fails only with
// Error(io) naming the file, or gives a card whose retry counters are in range and whose state round-trips (save, load, save gives the same text) and
// which answers a client's usual APDUs (SELECT, metadata, VERIFY, GET DATA, GENERAL AUTHENTICATE, signing) with
// a status word, without crashing, whatever the file held (keys, objects, pending challenge, chained data).
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>

#include "cardctl/error.hpp"
#include "cardctl/files.hpp"
#include "cardctl/sim_card.hpp"
#include "fuzz_util.hpp"

namespace {
using namespace cardctl;
using fuzz::fail;

// What a client sends first (SP 800-73-4 Part 2 §3 and the YubiKey extensions): select, version, serial,
// metadata of PIN, PUK, 9B and 9A, PIN counter, VERIFY 123456, CHUID, discovery, certificate 9A, 9B witness (TDES
// and AES-128), 9B response without a challenge, ECDSA P-256 signature in 9A, GET RESPONSE.
const char* const kApdus[] = {
    "00A4040005A000000308",      "00FD000000",       "00F8000000", "00F7008000", "00F7008100", "00F7009B00",
    "00F7009A00",                "00200080",         "0020008008313233343536FFFF",
    "00CB3FFF055C035FC102",      "00CB3FFF035C017E", "00CB3FFF055C035FC105",
    "0087039B047C028000",        "0087089B047C028000",
    "0087039B0C7C0A82080000000000000000",
    "0087119A267C24820081200102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F20",
    "00C0000000",
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string path = fuzz::scratch_path("card.toml");
  files::write_atomic(path, ByteView(data, size), 0600);
  std::optional<sim::ReferenceCard> card;
  try {
    card.emplace(sim::ReferenceCard::load(path));
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::io || !fuzz::contains(e.what(), path)) fail("load: not an io error naming the file");
    return 0;
  }
  const auto counters = card->retry_counters();
  for (auto [left, max] : {std::pair{counters.pin_left, counters.pin_max}, std::pair{counters.puk_left, counters.puk_max}})
    if (max < 1 || max > 255 || left < 0 || left > max) fail("load: a retry counter out of range was accepted");
  card->save(path);
  const Bytes saved = files::read(path);
  sim::ReferenceCard::load(path).save(path);
  if (files::read(path) != saved) fail("state file does not round-trip");
  try {
    for (const char* hex : kApdus)
      if (card->process(from_hex(hex)).size() < 2) fail("reply without a status word");
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::card_removed || !card->vanished()) fail("process threw for a card still there");
  }
  return 0;
}
