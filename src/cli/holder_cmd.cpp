#include "holder_cmd.hpp"

#include <CLI/CLI.hpp>

#include "cardctl/error.hpp"
#include "cardctl/holders.hpp"
#include "json.hpp"
#include "output.hpp"

namespace cardctl::cli {

namespace {

void run_show(const HolderOptions& options, Context& ctx) {
  auto site = open_site(options.site, ctx, "holder");
  auto d = lifecycle::show_holder(site, options.holder_id);
  if (ctx.json) {
    Json cards = Json::array();
    for (const auto& c : d.cards)
      cards.push(Json::object().set("card_id", c.card_id).set("template", c.template_name).set("state", store::to_string(c.state)));
    Json questions = Json::array();
    for (const auto& q : d.enrolled_questions) questions.push(Json(q));
    ctx.emit(Json::object()
                   .set("ok", true)
                   .set("holder_id", d.holder.holder_id)
                   .set("name", d.holder.name)
                   .set("email", d.holder.email)
                   .set("cards", std::move(cards))
                   .set("enrolled_questions", std::move(questions))
                   .set("identification_failures", d.identification_failures)
                   .set("locked_out", d.locked_out()));
    return;
  }
  Fields f;
  f.add("Holder", d.holder.holder_id).add("Name", d.holder.name);
  if (!d.holder.email.empty()) f.add("E-mail", d.holder.email);
  std::string cards;
  for (const auto& c : d.cards) cards += (cards.empty() ? "" : ", ") + c.card_id + " (" + c.template_name + ", " + store::to_string(c.state) + ")";
  f.add("Cards", cards.empty() ? "none" : cards);
  std::string questions;
  for (const auto& q : d.enrolled_questions) questions += (questions.empty() ? "" : ", ") + q;
  f.add("Answers", questions.empty() ? "none enrolled: no offline unblock until they are (cardctl holder answers)" : questions);
  f.add("Identification", std::to_string(d.identification_failures) + " failed of " + std::to_string(d.lockout_after) +
                              (d.locked_out() ? ": locked out (cardctl holder clear-lockout)" : ""));
  f.print(ctx.o());
}

void run_answers(const HolderOptions& options, Context& ctx) {
  auto site = open_site(options.site, ctx, "holder");
  std::vector<std::pair<std::string, SecureString>> answers;
  for (const auto& id : options.answer_ids) {
    std::string text = id;
    for (const auto& q : site.policy.helpdesk.questions)
      if (q.id == id) text = q.text;
    // Typed twice on a terminal and compared: a typo here would lock the holder out later.
    SecretRequest ask{"answer to \"" + text + "\"", "", std::nullopt, "", true};
    answers.emplace_back(id, ctx.prompter.read(ask, ctx.no_prompt, [&](std::string_view l) { ctx.debug(l); }));
  }
  lifecycle::enrol_holder_answers(site, options.site.op(), options.holder_id, answers);
  if (ctx.json) ctx.emit(Json::object().set("ok", true).set("holder_id", options.holder_id).set("answers", static_cast<std::int64_t>(answers.size())));
  else ctx.o() << "Holder " << options.holder_id << ": " << answers.size() << " security answers enrolled\n";
}

void run_clear(const HolderOptions& options, Context& ctx) {
  auto site = open_site(options.site, ctx, "holder");
  lifecycle::clear_lockout(site, options.site.op(), options.holder_id, options.reason);
  if (ctx.json) ctx.emit(Json::object().set("ok", true).set("holder_id", options.holder_id).set("cleared", true));
  else ctx.o() << "Holder " << options.holder_id << ": failed identifications cleared\n";
}

}  // namespace

void setup_holder(CLI::App& app, Context& ctx) {
  auto* holder = app.add_subcommand("holder", "A holder's record: show it, re-enrol security answers, clear a lockout");
  holder->require_subcommand(1);
  holder->footer("Examples:\n  cardctl holder show 1042\n  cardctl holder answers 1042 --answer first-school --answer first-street "
                 "--answer first-concert\n  cardctl holder clear-lockout 1042 --reason 'identified in person'");
  auto options = std::make_shared<HolderOptions>();

  auto* show = holder->add_subcommand("show", "The holder's cards, enrolled questions and failed identifications");
  add_site_options(*show, options->site);
  add_json_option(*show, ctx);
  show->add_option("holder", options->holder_id, "The holder's id")->required()->type_name("ID");
  show->footer("Examples:\n  cardctl holder show 1042\n  cardctl holder show 1042 --json");
  show->callback([options, &ctx] { run_show(*options, ctx); });

  auto* answers = holder->add_subcommand("answers", "Replace the holder's security answers (typed twice on a terminal)");
  add_site_options(*answers, options->site);
  add_json_option(*answers, ctx);
  answers->add_option("holder", options->holder_id, "The holder's id")->required()->type_name("ID");
  answers->add_option("--answer", options->answer_ids, "A question id of the policy (repeat; the answers are asked like secrets)")
      ->required()
      ->type_name("ID");
  answers->footer("Example:\n  cardctl holder answers 1042 --answer first-school --answer first-street --answer first-concert");
  answers->callback([options, &ctx] { run_answers(*options, ctx); });

  auto* clear = holder->add_subcommand("clear-lockout", "Lift an identification lockout, with the reason in the audit trail");
  add_site_options(*clear, options->site);
  add_json_option(*clear, ctx);
  clear->add_option("holder", options->holder_id, "The holder's id")->required()->type_name("ID");
  clear->add_option("--reason", options->reason, "Why (for the audit trail)")->required()->type_name("TEXT");
  clear->footer("Example:\n  cardctl holder clear-lockout 1042 --reason 'identified in person, ticket 4711'");
  clear->callback([options, &ctx] { run_clear(*options, ctx); });
}

}  // namespace cardctl::cli
