#include "revoke.hpp"

#include <CLI/CLI.hpp>

#include "cardctl/card_admin.hpp"
#include "cardctl/error.hpp"
#include "json.hpp"

namespace cardctl::cli {

void setup_revoke(CLI::App& app, Context& ctx) {
  auto options = std::make_shared<RevokeOptions>();
  auto* sub = app.add_subcommand("revoke", "Revoke an active card (lost, stolen, holder gone), with the reason audited");
  add_json_option(*sub, ctx);
  add_site_options(*sub, options->site);
  sub->add_option("CARD", options->card_id, "The card id (cardctl list shows them)")->required()->type_name("ID");
  sub->add_option("--reason", options->reason, "Why, for the audit trail (one line of text)")
      ->required()
      ->type_name("TEXT");
  sub->footer(
      "Only an active card is revoked; the change and its audit entry are one transaction. The helpdesk refuses\n"
      "offline unblocks for a revoked card. Nothing is written to the card itself.\n\n"
      "Examples:\n"
      "  cardctl revoke 12345678 --reason 'lost on the train'\n"
      "  cardctl revoke 12345678 --reason 'left the company' --operator alice --json");
  sub->callback([options, &ctx] { run_revoke(*options, ctx); });
}

void run_revoke(const RevokeOptions& options, Context& ctx) {
  auto site = open_site(options.site, ctx, "revoke");
  lifecycle::revoke_card(site, options.card_id, options.reason, options.site.op());
  // As recorded: revoke_card trims the reason.
  const auto first = options.reason.find_first_not_of(" \t\r\n");
  const std::string reason = options.reason.substr(first, options.reason.find_last_not_of(" \t\r\n") - first + 1);
  if (ctx.json)
    ctx.emit(Json::object()
                   .set("ok", true)
                   .set("card_id", options.card_id)
                   .set("state", "revoked")
                   .set("reason", reason));
  else
    ctx.o() << "Card " << options.card_id << " revoked (reason: " << reason << ")\n";
}

}  // namespace cardctl::cli
