#include "challenge.hpp"

#include <CLI/CLI.hpp>

#include "card.hpp"
#include "cardctl/error.hpp"

namespace cardctl::cli {

void setup_challenge(CLI::App& app, Context& ctx) {
  auto options = std::make_shared<ChallengeOptions>();
  auto* sub = app.add_subcommand("challenge", "Show the card's unblock challenge; then take the response and a new PIN");
  add_card_options(*sub, ctx);
  add_json_option(*sub, ctx);
  add_unblock_inputs(*sub, options->inputs);
  sub->add_flag("--detach", options->detach,
                "Print the challenge and leave the card as it is, for a later 'cardctl unblock --response CODE'");
  sub->footer(
      "Read the card id and the challenge to the helpdesk. Without --detach the command keeps the card and reads\n"
      "the response code, then the new PIN, from --response-file/--pin-file, CARDCTL_RESPONSE/CARDCTL_NEW_PIN,\n"
      "lines of stdin, or the terminal. The challenge is lost when the card is removed or reset.\n\n"
      "Examples:\n"
      "  cardctl challenge\n"
      "  printf '%s\\n%s\\n' \"$RESPONSE\" \"$NEW_PIN\" | cardctl challenge --json\n"
      "  cardctl challenge --detach && cardctl unblock --response 'ACC1 C1BB ...'");
  sub->callback([options, &ctx] { run_challenge(*options, ctx); });
}

void run_challenge(ChallengeOptions& options, Context& ctx) {
  auto connection = connect_card(ctx, transport::ShareMode::exclusive);
  piv::PivSession session(*connection, {.hold_transaction = true, .select_on_open = true, .trace = ctx.trace()});
  auto pending = with_context("card in " + connection->reader(), [&] { return lifecycle::begin_offline_unblock(session); });
  print_challenge(ctx, pending, options.detach);
  if (options.detach) {
    session.close(transport::Disposition::leave);
    if (!ctx.json) ctx.note("the card keeps this challenge until it is removed or reset; then: cardctl unblock --response CODE");
    return;
  }
  print_result(ctx, pending);
  finish_unblock(ctx, session, pending, options.inputs, std::nullopt);
  session.close(transport::Disposition::reset);
}

}  // namespace cardctl::cli
