// The keystore.cards file (cardctl/card_unlock.hpp) from a damaged disk or another writer: the input is the whole
// file, written 0600 to a scratch path and read with CardUnlockFile::load().
//   load() either fails with Error(io) naming the path, with a hint, or gives a file whose installation id is 32
//   hex digits and whose entries have printable names and fields of the lengths the format allows;
//   what loads serialises to a text that loads again to the same entries and serialises to the same bytes;
//   for_card, operator_of and remove_operator agree with the entries;
//   an entry opened with a shared secret that is not its card's fails with Error(crypto), never a key.
#include <algorithm>
#include <cctype>
#include <string>

#include "cardctl/card_unlock.hpp"
#include "cardctl/error.hpp"
#include "cardctl/files.hpp"
#include "fuzz_util.hpp"

namespace {
using namespace cardctl;
using store::CardUnlockEntry;
using store::CardUnlockFile;
using fuzz::fail;

bool same(const CardUnlockEntry& a, const CardUnlockEntry& b) {
  return a.operator_name == b.operator_name && a.card_id == b.card_id && a.card_spki == b.card_spki &&
         a.ephemeral_point == b.ephemeral_point && a.nonce == b.nonce && a.wrapped == b.wrapped;
}

bool same(const CardUnlockFile& a, const CardUnlockFile& b) {
  return a.installation_id == b.installation_id &&
         std::equal(a.entries.begin(), a.entries.end(), b.entries.begin(), b.entries.end(),
                    [](const auto& x, const auto& y) { return same(x, y); });
}

bool printable_word(const std::string& s) {
  return !s.empty() && s.size() <= 64 &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return c > 0x20 && c < 0x7f; });
}

void check_loaded(const CardUnlockFile& file, const std::string& path) {
  if (file.installation_id.size() != 32 ||
      !std::all_of(file.installation_id.begin(), file.installation_id.end(),
                   [](unsigned char c) { return std::isxdigit(c) != 0; }))
    fail("installation id is not 32 hex digits");
  for (const auto& e : file.entries) {
    if (!printable_word(e.operator_name) || !printable_word(e.card_id)) fail("entry name not a printable word");
    if (e.card_spki.empty() || e.card_spki.size() > 256) fail("card SPKI length out of bounds");
    if (e.ephemeral_point.size() < 65 || e.ephemeral_point.size() > 97) fail("ephemeral point length");
    if (e.nonce.size() != 12) fail("nonce length");
    if (e.wrapped.size() != 48) fail("wrapped key length");
  }

  // Round trip: serialise, load, serialise.
  const Bytes text = file.serialise();
  files::write_atomic(path, text, 0600);
  CardUnlockFile again;
  try {
    again = CardUnlockFile::load(path);
  } catch (const Error&) {
    fail("a serialised file does not load");
  }
  if (!same(file, again)) fail("entries changed through serialise and load");
  if (again.serialise() != text) fail("serialise is not stable");

  // Lookups agree with the entries.
  for (const auto& e : file.entries) {
    const auto mine = file.for_card(e.card_id);
    if (mine.empty() || std::none_of(mine.begin(), mine.end(), [&](const auto& x) { return same(x, e); }))
      fail("for_card misses an entry");
    if (file.operator_of(e.card_id).empty()) fail("operator_of misses a card");
  }
  if (!file.entries.empty()) {
    CardUnlockFile removed = file;
    const std::string who = file.entries.front().operator_name;
    const auto n = std::count_if(file.entries.begin(), file.entries.end(),
                                 [&](const auto& e) { return e.operator_name == who; });
    const auto ids = removed.remove_operator(who);
    if (static_cast<std::ptrdiff_t>(ids.size()) != n ||
        removed.entries.size() + ids.size() != file.entries.size() ||
        std::any_of(removed.entries.begin(), removed.entries.end(),
                    [&](const auto& e) { return e.operator_name == who; }))
      fail("remove_operator removed the wrong entries");

    // The first entry under a shared secret that is not its card's: Error(auth_failed) with a hint, never a key.
    static const Bytes wrong_secret(32, 0x5A);
    const auto& e = file.entries.front();
    try {
      store::unwrap_from_card(e, file.installation_id, wrong_secret);
      fail("an entry opened with a wrong shared secret");
    } catch (const Error& err) {
      if (err.kind() != ErrorKind::auth_failed || err.hint().empty()) fail("unwrap: unexpected error");
    }
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string path = fuzz::scratch_path("keystore.cards");
  files::write_atomic(path, ByteView(data, size), 0600);
  CardUnlockFile file;
  try {
    file = CardUnlockFile::load(path);
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::io) fail("load: an error other than Error(io)");
    if (!fuzz::contains(e.what(), path)) fail("load: the error does not name the path");
    if (e.hint().empty()) fail("load: an error without a hint");
    return 0;
  }
  check_loaded(file, path);
  return 0;
}
