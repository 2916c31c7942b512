#include "readers.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <fmt/format.h>

#include "cardctl/error.hpp"
#include "json.hpp"

namespace cardctl::cli {

void setup_readers(CLI::App& app, Context& ctx) {
  auto options = std::make_shared<ReadersOptions>();
  auto* sub = app.add_subcommand("readers", "List the PC/SC readers, whether each holds a card, and its ATR");
  add_json_option(*sub, ctx);
  sub->add_option("--reader", ctx.reader, "Only list readers whose name contains this (@NAME: exactly this)")
      ->type_name("READER");
  sub->footer(
      "Reference cards (sim:PATH) are files, not readers, and are not listed.\n\n"
      "Examples:\n"
      "  cardctl readers\n"
      "  cardctl readers --json | jq -r '.readers[] | select(.card_present) | .name'\n"
      "  cardctl readers --reader Yubico");
  sub->callback([options, &ctx] { run_readers(*options, ctx); });
}

void run_readers(const ReadersOptions&, Context& ctx) {
  if (transport::is_sim_spec(ctx.reader)) {
    throw Error(ErrorKind::usage, "'readers' lists PC/SC readers; a sim: card is a file, not a reader",
                fmt::format("show the card with: cardctl status --reader {}", ctx.reader));
  }
  std::vector<transport::ReaderInfo> readers = with_context("listing the PC/SC readers", ctx.list_readers);
  if (!ctx.reader.empty()) {
    readers = transport::match_readers(readers, ctx.reader);
    if (readers.empty()) {
      throw Error(ErrorKind::not_found, fmt::format("no reader matches '{}'", ctx.reader),
                  "run 'cardctl readers' without --reader to see them all");
    }
  }

  if (ctx.json) {
    Json list = Json::array();
    for (const auto& r : readers) {
      list.push(Json::object()
                    .set("name", r.name)
                    .set("card_present", r.card_present)
                    .set("atr", r.card_present ? Json(to_hex_upper(r.atr)) : Json()));
    }
    ctx.emit(Json::object().set("readers", std::move(list)));
    return;
  }

  if (readers.empty()) {
    ctx.note("no PC/SC readers found; connect one, or use --reader sim:PATH with a reference card");
    return;
  }
  std::size_t width = 0;
  for (const auto& r : readers) width = std::max(width, r.name.size());
  for (const auto& r : readers) {
    std::string card = r.card_present ? "card, ATR " + to_hex_upper(r.atr) : "no card";
    ctx.o() << fmt::format("{:<{}}  {}\n", r.name, width, card);
  }
}

}  // namespace cardctl::cli
