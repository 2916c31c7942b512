#include "pin_cmd.hpp"

#include <CLI/CLI.hpp>

#include "access.hpp"
#include "card.hpp"
#include "cardctl/error.hpp"
#include "json.hpp"

namespace cardctl::cli {

void setup_pin(CLI::App& app, Context& ctx) {
  auto* pin = app.add_subcommand("pin", "The holder's PIN: verify it, change it");
  pin->require_subcommand(1);
  pin->footer(
      "Examples:\n"
      "  cardctl pin verify\n"
      "  cardctl pin change\n\n"
      "Run 'cardctl pin verify --help' or 'cardctl pin change --help' for their options.");

  auto verify_options = std::make_shared<PinVerifyOptions>();
  auto* verify = pin->add_subcommand("verify", "Check the PIN; shows the tries left first");
  add_card_options(*verify, ctx);
  add_json_option(*verify, ctx);
  add_secret_file_option(*verify, verify_options->pin, "Read the PIN from FILE (mode 0600)");
  verify->add_flag("--force", verify_options->force, "Try the PIN even when only one try is left");
  verify->footer(
      "The PIN comes from --pin-file, CARDCTL_PIN, one line of stdin, or a prompt; never from the command line.\n"
      "With one try left the PIN is not sent without --force. A correct PIN restores the tries.\n\n"
      "Examples:\n"
      "  cardctl pin verify                          # asks for the PIN\n"
      "  cardctl pin verify --reader Yubico --json\n"
      "  cardctl pin verify --pin-file ~/.pin --force  # even with one try left");
  verify->callback([verify_options, &ctx] { run_pin_verify(*verify_options, ctx); });

  auto change_options = std::make_shared<PinChangeOptions>();
  auto* change = pin->add_subcommand("change", "Change the PIN: the current one, then the new one");
  add_card_options(*change, ctx);
  add_json_option(*change, ctx);
  add_secret_file_option(*change, change_options->pin, "Read the current PIN from FILE (mode 0600)");
  add_secret_file_option(*change, change_options->new_pin, "Read the new PIN from FILE (mode 0600)");
  change->add_flag("--force", change_options->force, "Try the current PIN even when only one try is left");
  change->footer(
      "The current PIN comes from --pin-file or CARDCTL_PIN, the new one from --new-pin-file or CARDCTL_NEW_PIN;\n"
      "else one line of stdin each, or a prompt (the new PIN asked twice). The new PIN has 6 to 8 characters\n"
      "and differs from the current one; it is checked before anything is sent.\n\n"
      "Examples:\n"
      "  cardctl pin change                          # asks for the current PIN, then the new one twice\n"
      "  cardctl pin change --pin-file old.pin --new-pin-file new.pin --json\n"
      "  printf '%s\\n%s\\n' \"$OLD\" \"$NEW\" | cardctl pin change --reader sim:card.sim");
  change->callback([change_options, &ctx] { run_pin_change(*change_options, ctx); });
}

void run_pin_verify(const PinVerifyOptions& options, Context& ctx) {
  ctx.require_secrets({&options.pin});
  auto connection = connect_card(ctx, transport::ShareMode::exclusive);
  piv::PivSession session(*connection, {.hold_transaction = true, .select_on_open = true, .trace = ctx.trace()});
  auto card_id = card_id_if_any(session);
  tries_before_try(ctx, session, card_id, Reference::pin, options.force);
  Pin pin = ctx.secret<Pin>(options.pin);
  spend_try(Reference::pin, [&] { session.verify_pin(pin); });
  // A correct PIN restores the counter (SP 800-73-4 Part 2 §3.2.1). Without metadata the empty VERIFY now only
  // says "verified": the count is the total when known, else unknown.
  auto after = read_tries(session, Reference::pin);
  if (after.remaining < 0 && after.total) after.remaining = *after.total;
  session.close(transport::Disposition::reset);  // the PIN stays verified for no one

  if (ctx.json) {
    ctx.emit(Json::object().set("ok", true).set("card_id", card_id).set("pin", tries_json(after)));
  } else if (after.remaining >= 0) {
    ctx.o() << "PIN correct (" << after.remaining << (after.remaining == 1 ? " try" : " tries") << ")\n";
  } else {
    ctx.o() << "PIN correct\n";
  }
}

void run_pin_change(const PinChangeOptions& options, Context& ctx) {
  ctx.require_secrets({&options.pin, &options.new_pin});
  auto connection = connect_card(ctx, transport::ShareMode::exclusive);
  piv::PivSession session(*connection, {.hold_transaction = true, .select_on_open = true, .trace = ctx.trace()});
  auto card_id = card_id_if_any(session);
  tries_before_try(ctx, session, card_id, Reference::pin, options.force);
  Pin current = ctx.secret<Pin>(options.pin);
  Pin replacement = ctx.secret<Pin>(options.new_pin);
  check_new_value(Reference::pin, current.text(), replacement.text());
  spend_try(Reference::pin, [&] { session.change_pin(current, replacement); });
  session.close(transport::Disposition::reset);

  if (ctx.json) {
    ctx.emit(Json::object().set("ok", true).set("card_id", card_id));
  } else {
    ctx.done((card_id ? "card " + *card_id + ": " : std::string()) + "the PIN is changed");
  }
}

}  // namespace cardctl::cli
