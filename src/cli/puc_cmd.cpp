#include "puc_cmd.hpp"

#include <CLI/CLI.hpp>

#include "cardctl/error.hpp"
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
      ctx.o() << Json::object()
                     .set("ok", true)
                     .set("card_id", result.card_id)
                     .set("holder", result.holder_id)
                     .set("puk", std::string(result.puk->text()))
                     .set("unblocks_left_in_period", result.unblocks_left_in_period)
                     .dump()
              << '\n';
    } else {
      Fields()
          .add("Card", result.card_id)
          .add("Holder", result.holder_id)
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
}
}  // namespace

void setup_puc(CLI::App& app, Context& ctx) {
  auto* puc = app.add_subcommand("puc", "PIN Unblock Codes: disclose a card's escrowed PUK to its identified holder");
  puc->require_subcommand(1);
  puc->footer("Example:\n  cardctl puc show 12345678");
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
  setup_puc_export(*puc, ctx);
}

}  // namespace cardctl::cli
