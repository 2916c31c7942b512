#include "respond.hpp"

#include <CLI/CLI.hpp>
#include <iostream>
#include <map>
#include <unistd.h>

#include "cardctl/answers.hpp"
#include "cardctl/error.hpp"
#include "cardctl/files.hpp"
#include "cardctl/respond.hpp"
#include "json.hpp"
#include "output.hpp"

namespace cardctl::cli {

void setup_respond(CLI::App& app, Context& ctx) {
  auto options = std::make_shared<RespondOptions>();
  auto* sub = app.add_subcommand("respond", "Helpdesk: turn a caller's challenge code into a response code");
  add_json_option(*sub, ctx);
  add_site_options(*sub, options->site);
  sub->add_option("--card", options->card_id, "The card id the caller reads out")->required()->type_name("ID");
  sub->add_option("--challenge", options->challenge,
                  "The challenge code as read out (else asked for); spaces, dashes and case do not matter")
      ->type_name("CODE");
  sub->add_flag("--no-check", options->no_check,
                "The challenge was shown without a check (Windows' unblock screen); without this flag the 4-digit "
                "check is required");
  sub->add_option("--algorithm", options->algorithm, "Admin-key algorithm, for a card not in the inventory")
      ->type_name("ALG");
  sub->add_option("--key-version", options->key_version, "Master key version, for a card not in the inventory")
      ->type_name("N");
  sub->add_option("--answers-file", options->answers_file,
                  "The caller's answers as 'question-id: answer' lines in a 0600 FILE (for scripts); the questions "
                  "the policy picks are looked up there")
      ->type_name("FILE");
  sub->add_flag("--report-rejected", options->report_rejected,
                "Record that the card rejected a response that was read out correctly (its admin key may have been "
                "changed); nothing is computed");
  sub->footer(
      "The operator is asked the security questions the policy demands; the caller's answers are typed without\n"
      "echo (or one per line on stdin). Every response and every refusal is audited.\n\n"
      "Examples:\n"
      "  cardctl respond --card 12345678\n"
      "  cardctl respond --card 12345678 --challenge 'C258 0945 CEC5 638C 1769' --json");
  sub->callback([options, &ctx] { run_respond(*options, ctx); });
}

CallerAnswers::CallerAnswers(std::optional<std::string> file, Context& ctx) : file_(std::move(file)), ctx_(&ctx) {
  if (file_) scripted_ = lifecycle::read_answers_file(*file_);
}

SecureString CallerAnswers::operator()(const policy::Question& q) const {
  if (file_) {
    auto it = scripted_.find(q.id);
    ctx_->debug("answer to " + q.id + (it == scripted_.end() ? " not in " : " read from ") + *file_);
    return it == scripted_.end() ? SecureString() : it->second;
  }
  SecretRequest ask{"caller's answer to \"" + q.text + "\"", "", std::nullopt, "", false};
  return ctx_->prompter.read(ask, ctx_->no_prompt, [this](std::string_view l) { ctx_->debug(l); });
}

void run_respond(RespondOptions& options, Context& ctx) {
  auto site = open_site(options.site, ctx, "respond");
  if (options.report_rejected) {
    int reports = lifecycle::report_rejected_response(site, options.card_id, options.site.op());
    if (ctx.json)
      ctx.emit(Json::object().set("card_id", options.card_id).set("rejected_reports", reports));
    else
      Fields().add("Card", options.card_id).add("Rejected responses reported", std::to_string(reports)).print(ctx.o());
    return;
  }
  lifecycle::RespondRequest req;
  req.card_id = options.card_id;
  req.operator_name = options.site.op();
  if (!options.algorithm.empty()) {
    req.algorithm = crypto::admin_algorithm_from_name(options.algorithm);
    if (!req.algorithm) throw Error(ErrorKind::usage, "unknown algorithm '" + options.algorithm + "'", "use tdes, aes128, aes192 or aes256");
  }
  req.key_version = options.key_version;
  req.challenge = options.challenge;
  req.no_check = options.no_check;
  if (req.challenge.empty()) {
    // Through the prompter's reader, which stops at the end of the line: the answers may follow on the same pipe.
    const bool terminal = ctx.prompter.stdin_is_terminal();
    if (ctx.no_prompt && terminal) throw Error(ErrorKind::usage, "no challenge given", "pass --challenge CODE");
    if (terminal) ctx.e() << "Challenge code for card " << options.card_id << ": " << std::flush;
    auto line = ctx.prompter.read_stdin_line();
    if (!line) throw Error(ErrorKind::usage, "no challenge given", "pass --challenge CODE");
    req.challenge.assign(line->begin(), line->end());
  }
  req.ask = CallerAnswers(options.answers_file, ctx);
  // Written and flushed before the response is recorded as given: a full disk or a closed stdout is recorded
  // as an undelivered response, not counted.
  req.deliver = [&ctx](const lifecycle::RespondResult& result) {
    if (result.rejected_reports > 0)
      ctx.warn("card " + result.card_id + " has rejected " + std::to_string(result.rejected_reports) +
               " correctly read response(s) before: its admin key may have been changed (see cardctl(1), SECURITY); "
               "if this one is rejected too, revoke and replace the card");
    if (ctx.json) {
      ctx.emit(Json::object()
                     .set("card_id", result.card_id)
                     .set("holder_id", result.holder_id)
                     .set("name", result.holder_name)
                     .set("algorithm", crypto::info(result.algorithm).name)
                     .set("key_version", static_cast<std::int64_t>(result.key_version))
                     .set("response", result.response.code)
                     .set("check", result.response.check)
                     .set("unblocks_left_in_period", result.unblocks_left_in_period)
                     .set("rejected_reports", result.rejected_reports)
                     .set("repeated", result.repeated));
    } else {
      Fields()
          .add("Card", result.card_id)
          .add("Holder", holder_label(result.holder_id, result.holder_name))
          .add("Key version", std::to_string(result.key_version))
          .add("Response", result.response.code)
          .add("Check", result.response.check)
          .add("Offline unblocks left", std::to_string(result.unblocks_left_in_period) + " in this period")
          .print(ctx.o());
    }
    if (result.repeated) ctx.note("this challenge was answered before in the period: not counted again");
    ctx.o().flush();
    if (!ctx.o())
      throw Error(ErrorKind::io, "the response could not be written out (output closed or disk full)",
                  "nothing was given and nothing counted; run the command again with a working output");
  };
  lifecycle::respond(site, req);
}

}  // namespace cardctl::cli
