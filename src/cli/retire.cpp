#include "retire.hpp"

#include <CLI/CLI.hpp>

#include "card.hpp"
#include "cardctl/error.hpp"
#include "cardctl/retire.hpp"
#include "json.hpp"
#include "output.hpp"

namespace cardctl::cli {

void setup_retire(CLI::App& app, Context& ctx) {
  auto options = std::make_shared<RetireOptions>();
  auto* sub = app.add_subcommand("retire", "Wipe a returned card (factory state) and take it out of service");
  add_card_options(*sub, ctx);
  add_json_option(*sub, ctx);
  add_site_options(*sub, options->site);
  sub->add_option("card", options->card_id, "The card id (checked against the card in the reader)")->type_name("CARD");
  sub->add_flag("--absent", options->absent, "The card is not at hand (lost, destroyed): only mark it retired");
  sub->footer(
      "With the card in the reader it is authenticated with the admin key the inventory has for it, reset to its\n"
      "factory state (keys, certificates, PIN, PUK) and marked retired; it can then be issued again.\n\n"
      "Examples:\n"
      "  cardctl retire 12345678                  # the card is in the reader\n"
      "  cardctl retire 12345678 --absent         # destroyed: mark it only\n"
      "  cardctl retire --reader sim:card.sim --json");
  sub->callback([options, &ctx] { run_retire(*options, ctx); });
}

void run_retire(const RetireOptions& options, Context& ctx) {
  if (options.absent && options.card_id.empty())
    throw Error(ErrorKind::usage, "--absent needs the card id", "cardctl retire CARD --absent (cardctl list shows the ids)");
  auto site = open_site(options.site, ctx, "retire");
  lifecycle::RetireResult r;
  if (options.absent) {
    r = lifecycle::retire_absent_card(site, options.card_id, options.site.op());
  } else {
    auto connection = connect_card(ctx, transport::ShareMode::exclusive);
    piv::PivSession session(*connection, {.hold_transaction = true, .select_on_open = true, .trace = ctx.trace()});
    r = with_context("retiring the card in " + connection->reader(),
                     [&] { return lifecycle::retire_card(site, session, options.card_id, options.site.op()); });
    session.close(transport::Disposition::reset);
  }
  if (ctx.json) {
    ctx.emit(Json::object()
                   .set("ok", true)
                   .set("card_id", r.card_id)
                   .set("holder_id", r.holder_id)
                   .set("previous_state", store::to_string(r.previous))
                   .set("state", "retired")
                   .set("wiped", r.wiped));
  } else {
    Fields f;
    f.add("Card", r.card_id).add("Holder", r.holder_id).add("State", std::string(store::to_string(r.previous)) + " -> retired");
    f.add("Card wiped", r.wiped ? "yes: factory state, it can be issued again" : "no: it was not at hand");
    f.print(ctx.o());
  }
}

}  // namespace cardctl::cli
