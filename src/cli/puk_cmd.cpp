#include "puk_cmd.hpp"

#include <CLI/CLI.hpp>

#include "access.hpp"
#include "card.hpp"
#include "cardctl/error.hpp"
#include "json.hpp"

namespace cardctl::cli {

void setup_puk(CLI::App& app, Context& ctx) {
  auto* puk = app.add_subcommand("puk", "The holder's PUK (PIN Unblock Code): change it");
  puk->require_subcommand(1);
  puk->footer(
      "Examples:\n"
      "  cardctl puk change\n\n"
      "Run 'cardctl puk change --help' for its options; 'cardctl unblock --puc' unblocks the PIN with the PUK.");

  auto options = std::make_shared<PukChangeOptions>();
  auto* change = puk->add_subcommand("change", "Change the PUK: the current one, then the new one");
  add_card_options(*change, ctx);
  add_json_option(*change, ctx);
  add_secret_file_option(*change, options->puk, "Read the current PUK from FILE (mode 0600)");
  add_secret_file_option(*change, options->new_puk, "Read the new PUK from FILE (mode 0600)");
  change->add_flag("--force", options->force,
                   "Try the current PUK even with one try left, or when the card cannot tell how many are left");
  change->footer(
      "The current PUK comes from --puk-file or CARDCTL_PUK, the new one from --new-puk-file or CARDCTL_NEW_PUK;\n"
      "else one line of stdin each, or a prompt (the new PUK asked twice). The new PUK has 6 to 8 characters\n"
      "and differs from the current one; it is checked before anything is sent. A blocked PUK cannot be\n"
      "unblocked: its last try, or a try the card cannot count (no metadata), is spent only with --force.\n\n"
      "Examples:\n"
      "  cardctl puk change                          # asks for the current PUK, then the new one twice\n"
      "  cardctl puk change --puk-file old.puk --new-puk-file new.puk --json\n"
      "  cardctl puk change --reader Yubico --force  # an older YubiKey that cannot count the PUK's tries");
  change->callback([options, &ctx] { run_puk_change(*options, ctx); });
}

void run_puk_change(const PukChangeOptions& options, Context& ctx) {
  ctx.require_secrets({&options.puk, &options.new_puk});
  auto connection = connect_card(ctx, transport::ShareMode::exclusive);
  piv::PivSession session(*connection, {.hold_transaction = true, .select_on_open = true, .trace = ctx.trace()});
  auto card_id = card_id_if_any(session);
  tries_before_try(ctx, session, card_id, Reference::puk, options.force);
  Puk current = ctx.secret<Puk>(options.puk);
  Puk replacement = ctx.secret<Puk>(options.new_puk);
  check_new_value(Reference::puk, current.text(), replacement.text());
  spend_try(Reference::puk, [&] { session.change_puk(current, replacement); });
  session.close(transport::Disposition::reset);

  if (ctx.json) {
    ctx.emit(Json::object().set("ok", true).set("card_id", card_id));
  } else {
    ctx.done((card_id ? "card " + *card_id + ": " : std::string()) + "the PUK is changed");
  }
}

}  // namespace cardctl::cli
