// Reader selection (docs/architecture.md#card-selection): "sim:PATH" opens the reference card; anything else picks the
// one PC/SC reader with a card that matches, and never guesses between several.
#include <string>
#include <vector>

#include "cardctl/error.hpp"
#include "cardctl/pcsc.hpp"
#include "cardctl/sim_transport.hpp"
#include "cardctl/transport.hpp"

namespace cardctl::transport {

namespace {

std::string quoted_list(const std::vector<ReaderInfo>& readers) {
  std::string out;
  for (const auto& r : readers) {
    if (!out.empty()) out += ", ";
    out += "'" + r.name + "'";
  }
  return out;
}

std::vector<ReaderInfo> with_card(const std::vector<ReaderInfo>& readers) {
  std::vector<ReaderInfo> out;
  for (const auto& r : readers) {
    if (r.card_present) out.push_back(r);
  }
  return out;
}

}  // namespace

std::unique_ptr<Connection> open_reader(std::string_view spec, ShareMode mode) {
  return open_reader(spec, mode, pcsc_readers());
}

std::unique_ptr<Connection> open_reader(std::string_view spec, ShareMode mode, ReaderSystem& system) {
  if (is_sim_spec(spec)) return connect_sim(spec, mode);

  const std::vector<ReaderInfo> readers = system.list_readers();
  if (readers.empty()) {
    throw Error(ErrorKind::not_found, "no smart card reader found",
                "connect a reader, or use --reader sim:FILE for a reference card");
  }
  const std::vector<ReaderInfo> matching = spec.empty() ? readers : match_readers(readers, spec);
  if (matching.empty()) {
    throw Error(ErrorKind::not_found,
                "no reader matches '" + std::string(spec) + "'; readers: " + quoted_list(readers),
                "name one of them with --reader (a part of the name, or @ and the full name)");
  }
  const std::vector<ReaderInfo> cards = with_card(matching);
  if (cards.empty()) {
    throw Error(ErrorKind::not_found, "no card found in " + quoted_list(matching),
                "insert a card or name one with --reader");
  }
  if (cards.size() > 1) {
    throw Error(ErrorKind::usage, "more than one card: " + quoted_list(cards),
                "choose one with --reader NAME or --serial N");
  }
  return system.connect(cards.front().name, mode);
}

}  // namespace cardctl::transport
