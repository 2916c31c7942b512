#include "card.hpp"

#include <fmt/format.h>
#include <string>
#include <vector>

#include "cardctl/error.hpp"
#include "cardctl/piv.hpp"

namespace cardctl::cli {

namespace {

// The specs --serial chooses among: the sim: file itself, or "@NAME" for each matching reader with a card.
std::vector<std::string> candidates(const Context& ctx) {
  const std::string& spec = ctx.reader_spec();
  if (transport::is_sim_spec(spec)) return {spec};
  std::vector<transport::ReaderInfo> readers = ctx.list_readers();
  if (!spec.empty()) readers = transport::match_readers(readers, spec);
  std::vector<std::string> specs;
  for (const auto& r : readers) {
    if (r.card_present) specs.push_back("@" + r.name);
  }
  if (specs.empty()) {
    throw Error(ErrorKind::not_found,
                spec.empty() ? std::string("no reader holds a card")
                             : fmt::format("no reader matching '{}' holds a card", spec),
                "insert the card, or run 'cardctl readers' to see the readers");
  }
  return specs;
}

std::string serial_text(const std::optional<std::uint32_t>& s) {
  return s ? fmt::format("serial {}", *s) : std::string("no serial");
}

}  // namespace

std::unique_ptr<transport::Connection> connect_reader(const Context& ctx, const std::string& spec, transport::ShareMode mode) {
  try {
    return std::make_unique<transport::CountedConnection>(ctx.open_reader(spec, mode), ctx.apdus);
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::not_found && transport::is_sim_spec(spec) && e.hint().empty()) {
      Error with_hint = e;
      with_hint.with_hint(fmt::format("create a reference card with: cardsim create {}", spec.substr(4)));
      throw with_hint;
    }
    throw;
  }
}

std::unique_ptr<transport::Connection> connect_card(const Context& ctx, transport::ShareMode mode) {
  if (!ctx.serial) return connect_reader(ctx, ctx.reader_spec(), mode);

  const std::uint32_t wanted = *ctx.serial;
  std::vector<std::string> matches;
  std::vector<std::string> seen;
  for (const std::string& spec : candidates(ctx)) {
    try {
      auto connection = connect_reader(ctx, spec, transport::ShareMode::shared);
      piv::PivSession session(*connection, {.hold_transaction = false, .select_on_open = true, .trace = ctx.trace()});
      auto serial = session.serial();
      session.close(transport::Disposition::leave);
      seen.push_back(fmt::format("'{}' ({})", connection->reader(), serial_text(serial)));
      if (serial == wanted) matches.push_back(spec);
    } catch (const Error& e) {
      if (transport::is_sim_spec(spec)) throw;
      seen.push_back(fmt::format("'{}' ({})", spec.substr(1), e.what()));
    }
  }
  if (matches.empty()) {
    throw Error(ErrorKind::not_found, fmt::format("no card with serial {}; seen: {}", wanted, fmt::join(seen, ", ")),
                "check the serial, or choose the card with --reader");
  }
  if (matches.size() > 1) {
    std::vector<std::string> names;
    for (const auto& spec : matches) names.push_back("'" + spec.substr(1) + "'");
    throw Error(ErrorKind::usage,
                fmt::format("more than one card has serial {}: {}", wanted, fmt::join(names, ", ")),
                "choose one with --reader @NAME");
  }
  return connect_reader(ctx, matches.front(), mode);
}

}  // namespace cardctl::cli
