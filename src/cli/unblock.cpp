#include "unblock.hpp"

#include <CLI/CLI.hpp>

#include "card.hpp"
#include "cardctl/error.hpp"
#include "json.hpp"

namespace cardctl::cli {

void setup_unblock(CLI::App& app, Context& ctx) {
  auto options = std::make_shared<UnblockOptions>();
  auto* sub = app.add_subcommand("unblock", "Unblock the PIN: challenge-response with the helpdesk, or the PUK");
  add_card_options(*sub, ctx);
  add_json_option(*sub, ctx);
  add_unblock_inputs(*sub, options->inputs);
  sub->add_option("--response", options->response,
                  "The response code for the challenge left on the card by 'cardctl challenge --detach'")
      ->type_name("CODE");
  sub->add_flag("--puc", options->puc, "Unblock with the PIN Unblock Code (PUK) instead of the helpdesk");
  add_secret_file_option(*sub, options->puk, "Read the PUK from FILE (mode 0600)");
  sub->add_flag("--force", options->force, "Allow spending the PUK's last try");
  sub->footer(
      "Examples:\n"
      "  cardctl unblock                       # shows the challenge, asks for the response and a new PIN\n"
      "  cardctl unblock --response 'ACC1 C1BB 19A7 E2A4 AA32 1B09 A213 FD22 E49F'\n"
      "  cardctl unblock --puc");
  sub->callback([options, &ctx] { run_unblock(*options, ctx); });
}

namespace {
void unblock_with_puk(UnblockOptions& options, Context& ctx, piv::PivSession& session) {
  auto rules = pin_rules(options.inputs);
  auto puk_tries = session.puk_retries();
  if (puk_tries.remaining == 0)
    throw Error(ErrorKind::blocked, "the PUK is blocked", "the card must be reset and reissued");
  if (puk_tries.remaining == 1 && !options.force)
    throw Error(ErrorKind::usage, "the PUK has 1 try left; a wrong PUK now blocks it for good",
                "make sure of the PUK, then run again with --force");
  ctx.require_secrets({&options.puk, &options.inputs.new_pin});
  Puk puk = ctx.secret<Puk>(options.puk);
  Pin pin = ctx.secret<Pin>(options.inputs.new_pin);
  policy::check_new_pin(rules, pin);
  session.reset_pin_with_puk(puk, pin);
  if (ctx.json) ctx.o() << Json::object().set("result", "unblocked").dump() << '\n';
  else ctx.note("the PIN is set and its retry counter restored");
}
}  // namespace

void run_unblock(UnblockOptions& options, Context& ctx) {
  std::unique_ptr<transport::Connection> connection;
  try {
    connection = connect_card(ctx, transport::ShareMode::exclusive);
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::card_removed || !options.response) throw;
    throw Error(e).with_hint("the challenge was lost with the card: put it back and start again with cardctl challenge");
  }
  if (options.puc) {
    piv::PivSession session(*connection, {.hold_transaction = true, .select_on_open = true, .trace = ctx.trace()});
    unblock_with_puk(options, ctx, session);
    session.close(transport::Disposition::reset);
    return;
  }
  if (options.response) {
    // The challenge is on the card from `challenge --detach`: no SELECT before the response (DESIGN.md §3).
    try {
      piv::PivSession session(*connection, {.hold_transaction = true, .select_on_open = false, .trace = ctx.trace()});
      auto pending =
          with_context("card in " + connection->reader(), [&] { return lifecycle::resume_offline_unblock(session); });
      finish_unblock(ctx, session, pending, options.inputs, options.response);
      session.close(transport::Disposition::reset);
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::card_removed) throw;
      throw Error(e).with_hint("the challenge was lost with the card: put it back and start again with cardctl challenge");
    }
    return;
  }
  piv::PivSession session(*connection, {.hold_transaction = true, .select_on_open = true, .trace = ctx.trace()});
  auto pending = with_context("card in " + connection->reader(), [&] { return lifecycle::begin_offline_unblock(session); });
  print_challenge(ctx, pending);
  print_result(ctx, pending);
  finish_unblock(ctx, session, pending, options.inputs, std::nullopt);
  session.close(transport::Disposition::reset);
}

}  // namespace cardctl::cli
