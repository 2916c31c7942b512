#include "issue.hpp"

#include <CLI/CLI.hpp>

#include "card.hpp"
#include "cardctl/error.hpp"
#include "cardctl/issue.hpp"
#include "json.hpp"
#include "output.hpp"

namespace cardctl::cli {

void setup_issue(CLI::App& app, Context& ctx) {
  auto options = std::make_shared<IssueOptions>();
  auto* sub = app.add_subcommand("issue", "Personalise a card from a template and register it in the inventory");
  add_card_options(*sub, ctx);
  add_json_option(*sub, ctx);
  add_site_options(*sub, options->site);
  sub->add_option("--template", options->template_name, "The card template from the policy")->required()->type_name("NAME");
  sub->add_option("--holder", options->holder_id, "The holder's id (e.g. the staff number)")->required()->type_name("ID");
  sub->add_option("--name", options->holder_name, "The holder's name, for new holders")->type_name("NAME");
  sub->add_option("--answer", options->answer_ids,
                  "Enrol the holder's answer to security question ID (repeat; answers are asked like secrets)")
      ->type_name("ID");
  sub->add_flag("--choose-pin", options->choose_pin, "Ask for the first PIN instead of generating one");
  sub->add_flag("--force", options->force, "Go on even when the card's PIN has only one try left");
  add_secret_file_option(*sub, options->first_pin, "Read the first PIN from FILE (implies --choose-pin)");
  sub->footer(
      "The card must be in its factory state (default PIN, PUK and admin key). The PUK is random and escrowed in\n"
      "the inventory; the first PIN is printed for the holder unless chosen.\n\n"
      "Examples:\n"
      "  cardctl issue --template staff --holder 1042 --name 'Alice Example' \\\n"
      "      --answer first-school --answer first-street --answer first-concert\n"
      "  cardctl issue --reader sim:card.sim --template staff --holder 1042 --answer first-school ... --json");
  sub->callback([options, &ctx] { run_issue(*options, ctx); });
}

void run_issue(IssueOptions& options, Context& ctx) {
  auto site = open_site(options.site, ctx);
  lifecycle::IssueRequest req;
  req.template_name = options.template_name;
  req.holder_id = options.holder_id;
  req.holder_name = options.holder_name.empty() ? options.holder_id : options.holder_name;
  req.operator_name = options.site.op();
  req.force = options.force;
  site.policy.card_template(options.template_name);  // a wrong name fails before anything is asked
  for (const auto& id : options.answer_ids) {
    std::string text = id;
    for (const auto& q : site.policy.helpdesk.questions)
      if (q.id == id) text = q.text;
    SecretRequest ask{"answer to \"" + text + "\"", "", std::nullopt, "", false};
    SecureString a = ctx.prompter.read(ask, ctx.no_prompt, [&](std::string_view l) { ctx.debug(l); });
    req.answers.emplace_back(id, std::move(a));
  }
  if (options.choose_pin || options.first_pin.file) req.first_pin = ctx.secret<Pin>(options.first_pin);

  auto connection = connect_card(ctx, transport::ShareMode::exclusive);
  lifecycle::IssueResult result;
  {
    piv::PivSession session(*connection, {.hold_transaction = true, .select_on_open = true, .trace = ctx.trace()});
    result = with_context("issuing the card in " + connection->reader(),
                          [&] { return lifecycle::issue_card(site, session, std::move(req)); });
    session.close(transport::Disposition::reset);
  }
  bool show_pin = !options.choose_pin && !options.first_pin.file;
  if (ctx.json) {
    Json j = Json::object()
                 .set("card_id", result.card_id)
                 .set("holder", options.holder_id)
                 .set("template", options.template_name)
                 .set("algorithm", crypto::info(result.algorithm).name)
                 .set("key_version", result.key_version)
                 .set("state", "active");
    if (show_pin) j.set("first_pin", std::string(result.pin.text()));
    ctx.o() << j.dump() << '\n';
  } else {
    Fields f;
    f.add("Card", result.card_id).add("Holder", options.holder_id).add("Template", options.template_name);
    f.add("Admin key", std::string(crypto::info(result.algorithm).display) + ", version " + std::to_string(result.key_version));
    if (show_pin) f.add("First PIN", std::string(result.pin.text()));
    f.add("PUK", "escrowed in the inventory");
    f.print(ctx.o());
  }
  ctx.o().flush();
  if (!ctx.o())
    throw Error(ErrorKind::io, "writing the result failed: the card is issued, but its first PIN may not have been shown",
                "the first PIN stays escrowed in the inventory for card " + result.card_id);
  lifecycle::first_pin_delivered(site, result.card_id);
}

}  // namespace cardctl::cli
