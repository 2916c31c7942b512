#include "puc_cmd.hpp"

#include <CLI/CLI.hpp>

#include "card.hpp"
#include "cardctl/error.hpp"
#include "cardctl/puk_rotation.hpp"
#include "cardctl/respond.hpp"
#include "json.hpp"
#include "output.hpp"
#include "puc_export.hpp"
#include "respond.hpp"

namespace cardctl::cli {

namespace {
void run_puc_show(const PucOptions& options, Context& ctx) {
  auto site = open_site(options.site, ctx, "puc");
  lifecycle::RespondRequest req;
  req.card_id = options.card_id;
  req.operator_name = options.site.op();
  req.disclose_puk = true;
  req.ask = CallerAnswers(options.answers_file, ctx);
  // Written and flushed before the disclosure is recorded as done; a closed output records it undelivered.
  req.deliver = [&ctx](const lifecycle::RespondResult& result) {
    if (ctx.json) {
      ctx.emit(Json::object()
                     .set("ok", true)
                     .set("card_id", result.card_id)
                     .set("holder_id", result.holder_id)
                     .set("name", result.holder_name)
                     .set("puk", std::string(result.puk->text()))
                     .set("unblocks_left_in_period", result.unblocks_left_in_period));
    } else {
      Fields()
          .add("Card", result.card_id)
          .add("Holder", holder_label(result.holder_id, result.holder_name))
          .add("PUK", std::string(result.puk->text()))
          .add("Offline unblocks left", std::to_string(result.unblocks_left_in_period) + " in this period")
          .print(ctx.o());
    }
    ctx.o().flush();
    if (!ctx.o())
      throw Error(ErrorKind::io, "the PUK could not be written out (output closed or disk full)",
                  "it was not disclosed and is not counted; run the command again with a working output");
  };
  lifecycle::respond(site, req);
  if (site.policy.helpdesk.rotate_disclosed_puk)
    ctx.note("this PUK is replaced the next time the card is connected here (cardctl puc rotate, or cardctl unblock "
             "--puc with the installation named)");
}

void run_puc_rotate(const PucOptions& options, Context& ctx) {
  auto site = open_site(options.site, ctx, "puc-rotate");
  auto connection = connect_card(ctx, transport::ShareMode::exclusive);
  piv::PivSession session(*connection, {.hold_transaction = true, .select_on_open = true, .trace = ctx.trace()});
  const std::string card_id = with_context("reading the card id", [&] { return session.card_id(); });
  if (!options.card_id.empty() && options.card_id != card_id)
    throw Error(ErrorKind::usage, "the card in " + connection->reader() + " is " + card_id + ", not " + options.card_id,
                "put card " + options.card_id + " in the reader, or leave the card id out");
  const bool due = lifecycle::puk_rotation_due(site, card_id);
  if (options.dry_run) {
    auto card = site.inventory.find_card(card_id);
    if (!card) throw Error(ErrorKind::not_found, "card " + card_id + " is not in the inventory",
                           "only cards issued by this installation have an escrowed PUK to rotate");
    auto tries = with_context("reading the PUK retry counter", [&] { return session.puk_retries(); });
    if (ctx.json) {
      ctx.emit(Json::object()
                     .set("ok", true)
                     .set("dry_run", true)
                     .set("card_id", card_id)
                     .set("holder_id", card->holder_id)
                     .set("rotation_due", due)
                     .set("puk_tries_left", tries.remaining >= 0 ? Json(tries.remaining) : Json()));
    } else {
      Fields()
          .add("Card", card_id)
          .add("Holder", card->holder_id)
          .add("Rotation due", due ? "yes (the PUK was disclosed or used)" : "no")
          .add("Plan", "a new random PUK (template '" + card->template_name + "') escrowed, then set on the card "
                       "with the escrowed one; audited as puc rotated")
          .print(ctx.o());
      ctx.note("dry run: nothing was changed");
    }
    return;
  }
  auto result = lifecycle::rotate_puk(site, session, options.site.op(), options.force);
  session.close(transport::Disposition::reset);
  if (ctx.json) {
    ctx.emit(Json::object()
                   .set("ok", true)
                   .set("card_id", result.card_id)
                   .set("holder_id", result.holder_id)
                   .set("was_due", due)
                   .set("resumed", result.resumed));
  } else {
    ctx.done("card " + result.card_id + ": the PUK is replaced and the new one escrowed" +
             (result.resumed ? " (an interrupted rotation was finished)" : ""));
  }
}
}  // namespace

void setup_puc(CLI::App& app, Context& ctx) {
  auto* puc = app.add_subcommand("puc", "PIN Unblock Codes: disclose a card's escrowed PUK to its holder; replace it");
  puc->require_subcommand(1);
  puc->footer("Examples:\n  cardctl puc show 12345678\n  cardctl puc rotate --reader Yubico");
  auto options = std::make_shared<PucOptions>();
  auto* show = puc->add_subcommand("show", "After the caller's identification, show the card's PUK (audited, counted)");
  add_site_options(*show, options->site);
  add_json_option(*show, ctx);
  show->add_option("card", options->card_id, "The card id the caller reads out")->required()->type_name("CARD");
  show->add_option("--answers-file", options->answers_file,
                   "Read the caller's answers from FILE ('question-id: answer' lines, mode 0600)")
      ->type_name("FILE");
  show->footer(
      "The same checks as respond: the card is active, the period's offline-unblock limit is not used up, the\n"
      "holder is not locked out, and the caller answers the security questions. The disclosure counts against the\n"
      "same limit and is audited as 'puc'. The holder then runs: cardctl unblock --puc\n\n"
      "Examples:\n  cardctl puc show 12345678\n  cardctl puc show 12345678 --json");
  show->callback([options, &ctx] { run_puc_show(*options, ctx); });

  auto* rotate = puc->add_subcommand("rotate", "Replace the card's PUK with a new escrowed one (the card in the reader)");
  add_site_options(*rotate, options->site);
  add_card_options(*rotate, ctx);
  add_json_option(*rotate, ctx);
  rotate->add_option("card", options->card_id, "The card id expected in the reader (checked)")->type_name("CARD");
  rotate->add_flag("--force", options->force, "Go ahead when the PUK counter cannot spare a try or cannot tell");
  rotate->add_flag("--dry-run", options->dry_run, "Show whether rotation is due and the plan; change nothing");
  rotate->footer(
      "The card's escrowed PUK is replaced by a new random one following its template; the holder is not told\n"
      "the new one (the helpdesk discloses it when needed, with cardctl puc show). The new PUK is escrowed before\n"
      "the card is changed, so an interrupted rotation is finished by running it again.\n\n"
      "Examples:\n  cardctl puc rotate --reader Yubico\n  cardctl puc rotate 12345678 --dry-run --json");
  rotate->callback([options, &ctx] { run_puc_rotate(*options, ctx); });
  setup_puc_export(*puc, ctx);
}

}  // namespace cardctl::cli
