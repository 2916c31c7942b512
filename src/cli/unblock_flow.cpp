#include "unblock_flow.hpp"

#include <CLI/CLI.hpp>

#include "cardctl/error.hpp"
#include "json.hpp"
#include "output.hpp"

namespace cardctl::cli {

void add_unblock_inputs(CLI::App& app, UnblockInputs& inputs) {
  add_secret_file_option(app, inputs.response, "Read the response code from FILE");
  add_secret_file_option(app, inputs.new_pin, "Read the new PIN from FILE (mode 0600)");
  app.add_option("--policy", inputs.policy_file, "Check the new PIN against this policy's template (with --template)")
      ->type_name("FILE");
  app.add_option("--template", inputs.template_name, "The card's template in --policy")->type_name("NAME");
  app.add_flag("--no-check", inputs.no_check,
               "The response code was shown without a check; without this flag its 4-digit check is required");
}

policy::PinRules pin_rules(const UnblockInputs& inputs) {
  if (inputs.policy_file.empty()) return {};
  auto p = policy::load_policy(inputs.policy_file);
  if (inputs.template_name.empty()) throw Error(ErrorKind::usage, "--policy needs --template NAME");
  return p.card_template(inputs.template_name).pin;
}

void print_challenge(Context& ctx, const lifecycle::PendingChallenge& p, bool detached) {
  auto code = p.code();
  if (ctx.json && detached) {
    ctx.emit(Json::object()
                 .set("card_id", p.card_id)
                 .set("algorithm", crypto::info(p.algorithm).name)
                 .set("challenge", code.code)
                 .set("check", code.check)
                 .set("pin_tries_left", p.pin.remaining >= 0 ? Json(p.pin.remaining) : Json()));
    return;
  }
  ctx.show(Fields().add("Card", p.card_id).add("Challenge", code.code).add("Check", code.check));
}

void finish_unblock(Context& ctx, piv::PivSession& session, const lifecycle::PendingChallenge& pending,
                    const UnblockInputs& inputs, std::optional<std::string> typed) {
  Bytes response;
  Pin pin;
  try {  // everything typed is checked before anything is sent to the card
    auto rules = pin_rules(inputs);
    if (typed) {
      response = lifecycle::parse_code(*typed, pending.card_id, pending.algorithm, "response", inputs.no_check);
    } else {
      SecureString r = ctx.prompter.read(inputs.response, ctx.no_prompt, [&](std::string_view l) { ctx.debug(l); });
      response = lifecycle::parse_code(std::string_view(r.data(), r.size()), pending.card_id, pending.algorithm,
                                       "response", inputs.no_check);
    }
    pin = ctx.secret<Pin>(inputs.new_pin);
    policy::check_new_pin(rules, pin);
  } catch (const Error& e) {
    // Leave the card as it is: the challenge is still on it for `cardctl unblock --response CODE`.
    session.close(transport::Disposition::leave);
    if (e.hint().empty()) throw Error(e).with_hint("the card keeps its challenge: run cardctl unblock --response CODE");
    throw;
  }
  lifecycle::finish_offline_unblock(session, pending, response, pin, !inputs.no_check);
  if (ctx.json) {
    ctx.emit(Json::object()
                 .set("card_id", pending.card_id)
                 .set("algorithm", crypto::info(pending.algorithm).name)
                 .set("unblocked", true));
  } else {
    ctx.done("card " + pending.card_id + ": the PIN is set and its retry counter restored");
  }
}

void print_result(const Context& ctx, const lifecycle::PendingChallenge& pending) {
  if (pending.pin.remaining > 0)
    ctx.note("the PIN is not blocked (" + std::to_string(pending.pin.remaining) + " tries left); it will be replaced");
}

}  // namespace cardctl::cli
