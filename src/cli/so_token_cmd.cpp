#include "so_token_cmd.hpp"

#include <CLI/CLI.hpp>

#include "card.hpp"
#include "cardctl/error.hpp"
#include "cardctl/files.hpp"
#include "cardctl/so_token.hpp"
#include "json.hpp"
#include "output.hpp"

namespace cardctl::cli {

namespace {

SecureString read_line_secret(const Context& ctx, const SecretRequest& request) {
  return ctx.prompter.read(request, ctx.no_prompt, [&](std::string_view l) { ctx.debug(l); });
}

std::string_view as_view(const SecureString& s) { return {s.data(), s.size()}; }

// The key, shown this once, before it is typed back.
void show_so_key(const Context& ctx, const lifecycle::SoTokenSurvey& survey, const codes::Formatted& code) {
  ctx.show(Fields()
               .add("SO token", survey.card_id)
               .add("Algorithm", crypto::info(survey.so_algorithm).display)
               .add("SO unblock key", code.code)
               .add("Check", code.check));
  ctx.note("write the SO unblock key and its check on paper now and keep it safe: it is shown this once and stored "
           "nowhere; it is the only way back when the token's PIN is blocked. Then type it back.");
}

}  // namespace

void run_init_so_token(InitOptions& options, Context& ctx) {
  if (options.rotate || options.import_master_file)
    throw Error(ErrorKind::usage, "--so-token does not go with --rotate or --import-master",
                "issue the SO token on its own: cardctl init --so-token");
  auto paths = options.site.paths();
  const bool existing = files::exists(paths.keystore()) && !options.force;
  std::optional<lifecycle::Site> site;
  std::optional<Passphrase> new_passphrase;
  if (existing) {
    options.site.passphrase.confirm = false;
    site.emplace(open_site(options.site, ctx, "init"));  // the system owner's command
  } else {
    check_new_installation(options);
    if (!options.dry_run) new_passphrase.emplace(ctx.secret<Passphrase>(options.site.passphrase));
  }
  if (!options.dry_run) ctx.require_secrets({&options.so_key, &options.so_pin});

  auto connection = connect_card(ctx, transport::ShareMode::exclusive);
  piv::PivSession session(*connection, {.hold_transaction = true, .select_on_open = true, .trace = ctx.trace()});
  auto survey = with_context("card in " + connection->reader(), [&] {
    return lifecycle::survey_so_token(session, site ? &*site : nullptr);
  });

  if (options.dry_run) {
    std::vector<std::string> steps;
    if (!existing) steps.push_back("create the installation in " + paths.dir + " from " + options.policy_file);
    for (auto& s : lifecycle::so_token_plan(survey)) steps.push_back(std::move(s));
    session.close(transport::Disposition::reset);
    if (ctx.json) {
      Json list = Json::array();
      for (const auto& s : steps) list.push(s);
      ctx.emit(Json::object()
                     .set("ok", true)
                     .set("dry_run", true)
                     .set("card_id", survey.card_id)
                     .set("algorithm", crypto::info(survey.so_algorithm).name)
                     .set("steps", std::move(list)));
    } else {
      ctx.o() << "SO token " << survey.card_id << " (dry run, nothing written):\n";
      for (std::size_t i = 0; i < steps.size(); ++i) ctx.o() << "  " << (i + 1) << ". " << steps[i] << '\n';
    }
    return;
  }

  AdminKey key = lifecycle::generate_so_key(survey.so_algorithm);
  show_so_key(ctx, survey, lifecycle::so_key_code(survey.card_id, key));
  {
    SecureString typed = read_line_secret(ctx, options.so_key);
    lifecycle::check_typed_back(as_view(typed), survey.card_id, key, survey.so_algorithm);
  }
  Pin so_pin = ctx.secret<Pin>(options.so_pin);
  policy::check_new_pin(lifecycle::so_pin_rules(), so_pin);

  if (!existing) site.emplace(create_installation(options, ctx, *new_passphrase));
  lifecycle::issue_so_token(*site, session, survey, key, so_pin, {.operator_name = options.site.op()});
  session.close(transport::Disposition::reset);

  const auto& alg = crypto::info(survey.so_algorithm);
  if (ctx.json) {
    auto out = Json::object().set("ok", true).set("card_id", survey.card_id).set("algorithm", alg.name);
    out.set("home", paths.dir).set("installation_created", !existing);
    ctx.emit(out);
  } else {
    if (!existing) ctx.note("installation created in " + paths.dir);
    ctx.note("card " + survey.card_id + " is the SO token (" + alg.display +
             " SO unblock key; its PUK is blocked); when its PIN is blocked: cardctl so-unblock");
  }
}

void setup_so_unblock(CLI::App& app, Context& ctx) {
  auto options = std::make_shared<SoUnblockOptions>();
  auto* sub = app.add_subcommand("so-unblock", "Give the SO token a new PIN with its SO unblock key");
  add_card_options(*sub, ctx);
  add_json_option(*sub, ctx);
  add_site_options(*sub, options->site);
  add_secret_file_option(*sub, options->so_key, "Read the SO unblock key (its code and check) from FILE (mode 0600)");
  add_secret_file_option(*sub, options->new_pin, "Read the new SO PIN from FILE (mode 0600)");
  sub->footer(
      "Shows the token's card id and the challenge it gave, reads the SO unblock key recorded when the token was\n"
      "issued (with its check), computes the response here, then sets the new SO PIN (asked twice). With an\n"
      "installation (--home, CARDCTL_HOME) the unblock is audited; without one it works offline and says so.\n\n"
      "Examples:\n"
      "  cardctl so-unblock\n"
      "  cardctl so-unblock --reader sim:so.sim --so-key-file key.txt --pin-file pin.txt --json");
  sub->callback([options, &ctx] { run_so_unblock(*options, ctx); });
}

void run_so_unblock(SoUnblockOptions& options, Context& ctx) {
  auto paths = options.site.paths();
  std::optional<lifecycle::Site> site;
  if (files::exists(paths.keystore())) site.emplace(open_site(options.site, ctx, "so-unblock"));
  ctx.require_secrets({&options.so_key, &options.new_pin});

  auto connection = connect_card(ctx, transport::ShareMode::exclusive);
  piv::PivSession session(*connection, {.hold_transaction = true, .select_on_open = true, .trace = ctx.trace()});
  auto c = with_context("card in " + connection->reader(), [&] { return lifecycle::begin_so_unblock(session); });
  auto& p = c.pending;
  auto code = p.code();
  {
    Fields f;
    f.add("SO token", p.card_id);
    if (c.serial) f.add("Serial", std::to_string(*c.serial));
    ctx.show(f.add("Challenge", code.code).add("Check", code.check));
  }
  if (p.pin.remaining > 0)
    ctx.note("the PIN is not blocked (" + std::to_string(p.pin.remaining) + " tries left); it will be replaced");

  // Everything typed is checked before the response goes to the card.
  AdminKey key = [&] {
    SecureString typed = read_line_secret(ctx, options.so_key);
    return lifecycle::parse_so_key(as_view(typed), c);
  }();
  Pin pin = ctx.secret<Pin>(options.new_pin);
  policy::check_new_pin(lifecycle::so_pin_rules(), pin);

  lifecycle::finish_so_unblock(session, c, key, pin, {site ? &*site : nullptr, options.site.op()});
  session.close(transport::Disposition::reset);

  if (ctx.json) {
    ctx.emit(Json::object()
                   .set("ok", true)
                   .set("card_id", p.card_id)
                   .set("unblocked", true)
                   .set("audited", site.has_value()));
  } else {
    ctx.done("SO token " + p.card_id + ": the PIN is set and its retry counter restored");
  }
  if (!site)
    ctx.note("no installation was reachable (--home, CARDCTL_HOME): worked offline, nothing was audited");
}

}  // namespace cardctl::cli
