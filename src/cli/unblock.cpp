#include "unblock.hpp"

#include <CLI/CLI.hpp>
#include <cstdlib>

#include "access.hpp"
#include "card.hpp"
#include "cardctl/error.hpp"
#include "cardctl/files.hpp"
#include "cardctl/in_person.hpp"
#include "cardctl/puk_unblock.hpp"
#include "json.hpp"
#include "output.hpp"

namespace cardctl::cli {

void setup_unblock(CLI::App& app, Context& ctx) {
  auto options = std::make_shared<UnblockOptions>();
  auto* sub = app.add_subcommand("unblock", "Unblock the PIN: challenge-response with the helpdesk, the PUK, or in person");
  add_card_options(*sub, ctx);
  add_json_option(*sub, ctx);
  add_unblock_inputs(*sub, options->inputs);
  add_site_options(*sub, options->site);
  sub->add_option("--response", options->response,
                  "The response code for the challenge left on the card by 'cardctl challenge --detach'")
      ->type_name("CODE");
  auto* puc = sub->add_flag("--puc", options->puc, "Unblock with the PIN Unblock Code (PUK) instead of the helpdesk");
  add_secret_file_option(*sub, options->puk, "Read the PUK from FILE (mode 0600)");
  auto* in_person = sub->add_flag("--in-person", options->in_person,
                                  "At the helpdesk: unblock with the card's admin key after checking the holder's ID");
  in_person->excludes(puc);
  sub->add_option("--id-check", options->id_check,
                  "With --in-person: what was checked, for the audit ('passport X1234567', 'known personally')")
      ->type_name("TEXT");
  sub->add_flag("--dry-run", options->dry_run, "With --in-person: run the checks and show the plan; change nothing");
  sub->add_flag("--force", options->force, "Allow spending the PUK's last try");
  sub->footer(
      "Examples:\n"
      "  cardctl unblock                       # shows the challenge, asks for the response and a new PIN\n"
      "  cardctl unblock --response 'ACC1 C1BB 19A7 E2A4 AA32 1B09 A213 FD22 E49F'\n"
      "  cardctl unblock --puc\n"
      "  cardctl unblock --in-person --id-check 'passport X1234567'   # helpdesk, holder present");
  sub->callback([options, &ctx] { run_unblock(*options, ctx); });
}

namespace {

// The PUK use is recorded (and a disclosed PUK replaced) when the installation is named: --home (which must hold
// one), or $CARDCTL_HOME where one exists. A holder's own workstation has none, and the unblock works without it.
bool installation_named(const UnblockOptions& options) {
  if (!options.site.home.empty()) return true;
  const char* env = std::getenv("CARDCTL_HOME");
  return env != nullptr && *env != '\0' && files::exists(options.site.paths().keystore());
}

void unblock_with_puk(UnblockOptions& options, Context& ctx, piv::PivSession& session,
                      std::optional<lifecycle::Site>& site) {
  auto plan = lifecycle::plan_puk_unblock(session, site ? &*site : nullptr, pin_rules(options.inputs));
  tries_before_try(ctx, plan.tries, plan.card_id, Reference::puk, options.force);
  ctx.require_secrets({&options.puk, &options.inputs.new_pin});
  Puk puk = ctx.secret<Puk>(options.puk);
  Pin pin = ctx.secret<Pin>(options.inputs.new_pin);
  auto result = spend_try(Reference::puk, [&] {
    return lifecycle::unblock_with_puk(session, site ? &*site : nullptr, plan, puk, pin, options.site.op(),
                                       options.force);
  });
  for (const auto& warning : result.warnings) ctx.warn(warning);
  const std::string& card_id = result.card_id;
  const bool recorded = result.recorded, rotated = result.puk_rotated;
  if (ctx.json) {
    ctx.emit(Json::object()
                   .set("ok", true)
                   .set("card_id", card_id)
                   .set("method", "puk")
                   .set("recorded", recorded)
                   .set("puk_rotated", rotated));
    return;
  }
  ctx.done("card " + card_id + ": the PIN is set and its retry counter restored");
  if (rotated) ctx.note("the PUK had been disclosed and is now replaced; the helpdesk holds the new one");
  else if (!recorded) ctx.note("no installation named (--home): the PUK use is not recorded here");
}

Json plan_json(const lifecycle::InPersonPlan& plan) {
  return Json::object()
      .set("ok", true)
      .set("card_id", plan.card_id)
      .set("holder_id", plan.holder_id)
      .set("name", plan.holder_name)
      .set("method", plan.method)
      .set("over_limit", plan.over_limit);
}

void unblock_in_person(UnblockOptions& options, Context& ctx, piv::PivSession& session, lifecycle::Site& site) {
  lifecycle::InPersonRequest req{options.site.op(), options.id_check, options.force};
  auto plan = lifecycle::plan_in_person(site, session, req);
  const std::string who = holder_label(plan.holder_id, plan.holder_name);
  const std::string how = plan.method == "admin-key" ? "the card's admin key resets the PIN"
                                                     : "the escrowed PUK (not shown) resets the PIN";
  if (options.dry_run) {
    if (ctx.json) {
      ctx.emit(plan_json(plan).set("dry_run", true));
    } else {
      Fields()
          .add("Card", plan.card_id)
          .add("Holder", who)
          .add("Plan", how + ", after the new PIN is typed twice; audited with the ID check")
          .add("Over the offline limit", plan.over_limit ? "yes (the policy allows it in person)" : "no")
          .print(ctx.o());
      ctx.note("dry run: nothing was changed");
    }
    return;
  }
  ctx.note("card " + plan.card_id + " of holder " + who + ": check that this is the person in front of you");
  ctx.require_secrets({&options.inputs.new_pin});
  Pin pin = ctx.secret<Pin>(options.inputs.new_pin);
  lifecycle::unblock_in_person(site, session, req, pin);
  if (ctx.json) {
    ctx.emit(plan_json(plan));
  } else {
    ctx.done("card " + plan.card_id + ": the PIN is set and its retry counter restored (audited as in-person)");
  }
}
}  // namespace

void run_unblock(UnblockOptions& options, Context& ctx) {
  if (!options.in_person && (!options.id_check.empty() || options.dry_run))
    throw Error(ErrorKind::usage, "--id-check and --dry-run go with --in-person",
                "at the helpdesk: cardctl unblock --in-person --id-check 'passport X1234567'");
  if ((options.puc || options.in_person) && options.response)
    throw Error(ErrorKind::usage, "--response is for the challenge-response unblock",
                "leave it out with --puc and --in-person");
  std::optional<lifecycle::Site> site;  // opened before the card is touched: its prompt comes first
  if (options.in_person) site.emplace(open_site(options.site, ctx, "in-person"));
  else if (options.puc && installation_named(options)) {
    try {
      site.emplace(open_site(options.site, ctx, "puc"));
    } catch (const Error& e) {
      // Named by --home: the operator asked for it. Found through $CARDCTL_HOME: the unblock goes on unrecorded.
      if (!options.site.home.empty() || e.kind() != ErrorKind::policy) throw;
      ctx.warn(std::string(e.what()) + ": the PUK use will not be recorded");
    }
  }

  std::unique_ptr<transport::Connection> connection;
  try {
    connection = connect_card(ctx, transport::ShareMode::exclusive);
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::card_removed || !options.response) throw;
    throw Error(e).with_hint("the challenge was lost with the card: put it back and start again with cardctl challenge");
  }
  if (options.puc || options.in_person) {
    piv::PivSession session(*connection, {.hold_transaction = true, .select_on_open = true, .trace = ctx.trace()});
    if (options.in_person) unblock_in_person(options, ctx, session, *site);
    else unblock_with_puk(options, ctx, session, site);
    session.close(transport::Disposition::reset);
    return;
  }
  if (options.response) {
    // The challenge is on the card from `challenge --detach`: no SELECT before the response
    // (docs/protocol.md#session-rules).
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
  print_challenge(ctx, pending, false);
  print_result(ctx, pending);
  finish_unblock(ctx, session, pending, options.inputs, std::nullopt);
  session.close(transport::Disposition::reset);
}

}  // namespace cardctl::cli
