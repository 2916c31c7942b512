#include "site_options.hpp"

#include <CLI/CLI.hpp>
#include <cstdlib>

#include "access.hpp"
#include "card.hpp"
#include "cardctl/error.hpp"
#include "cardctl/files.hpp"
#include "cardctl/operators.hpp"

namespace cardctl::cli {

namespace {

// SP 800-73-4 Part 2 §3.2.1: the PIN is verified in the same session as the key agreement; the session ends with
// a reset, on every way out, so that the card is left with its PIN unverified.
lifecycle::Site open_with_operator_card(const SiteOptions& options, const Context& ctx, std::string_view command) {
  auto paths = options.paths();
  if (!files::exists(paths.keystore())) return lifecycle::Site::open(paths, Passphrase());  // says "run init"
  ctx.require_secrets({&options.operator_pin});
  auto connection = connect_reader(ctx, options.operator_card, transport::ShareMode::exclusive);
  piv::PivSession session(*connection, {.hold_transaction = true, .select_on_open = true, .trace = ctx.trace()});
  try {
    const std::string card_id = with_context("reading the operator's card", [&] { return session.card_id(); });
    auto entries = lifecycle::card_unlock_entries(paths, card_id);
    const store::CardUnlockEntry* entry = &entries.front();
    if (!options.operator_name.empty()) {
      for (const auto& e : entries)
        if (e.operator_name == options.operator_name) entry = &e;
      if (entry->operator_name != options.operator_name)
        throw Error(ErrorKind::usage,
                    "card " + card_id + " identifies operator " + entry->operator_name + ", not " + options.operator_name,
                    "leave out --operator: the operator's card says who runs the command");
    } else if (const char* env = std::getenv("CARDCTL_OPERATOR"); env && *env && env != entry->operator_name) {
      ctx.debug("CARDCTL_OPERATOR ignored: card " + card_id + " identifies operator " + entry->operator_name);
    }
    try {
      tries_before_try(ctx, session, card_id, Reference::pin, false);
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::policy) throw;
      throw Error(e).with_hint("make sure of the PIN, then spend the last try on its own: cardctl pin verify --reader " +
                               options.operator_card + " --force");
    }
    Pin pin = ctx.secret<Pin>(options.operator_pin);
    spend_try(Reference::pin, [&] { session.verify_pin(pin); });
    auto site = lifecycle::open_with_card(paths, session, *entry, command);
    session.close(transport::Disposition::reset);
    options.card_operator = entry->operator_name;
    return site;
  } catch (...) {
    try {
      session.close(transport::Disposition::reset);
    } catch (...) {  // the first failure is the one to report
    }
    throw;
  }
}

}  // namespace

lifecycle::SitePaths SiteOptions::paths() const { return {home.empty() ? lifecycle::default_site_dir() : home}; }

void add_site_options(CLI::App& app, SiteOptions& options) {
  app.add_option("--home", options.home,
                 "The installation directory (default: $CARDCTL_HOME, else ~/.local/share/cardctl)")
      ->type_name("DIR");
  app.add_option("--operator", options.operator_name,
                 "Operator name for the audit trail (default: $CARDCTL_OPERATOR, else the login name)")
      ->type_name("NAME");
  add_secret_file_option(app, options.passphrase, "Read the keystore passphrase from FILE (mode 0600)");
  app.add_option("--operator-card", options.operator_card,
                 "Open the keystore with the operator's card in READER instead of the passphrase (also "
                 "$CARDCTL_OPERATOR_CARD; sim:PATH for a reference card)")
      ->envname("CARDCTL_OPERATOR_CARD")
      ->type_name("READER");
  add_secret_file_option(app, options.operator_pin, "Read the operator card's PIN from FILE (mode 0600)");
  add_secret_file_option(app, options.token_pin,
                         "Read the PIN of the PKCS#11 token that holds the master keys from FILE (mode 0600)");
}

lifecycle::TokenPinSource token_pin_source(const SiteOptions& options, const Context& ctx) {
  return [&options, &ctx] { return ctx.secret<Pin>(options.token_pin); };
}

lifecycle::Site open_site(const SiteOptions& options, const Context& ctx, std::string_view command) {
  options.card_operator.clear();
  if (!options.operator_card.empty()) {
    auto site = open_with_operator_card(options, ctx, command);
    lifecycle::authorize(site, options.card_operator, command);
    site.token_pin = token_pin_source(options, ctx);
    return site;
  }
  auto paths = options.paths();
  if (!files::exists(paths.keystore())) return lifecycle::Site::open(paths, Passphrase());  // says "run init"
  Passphrase pass = ctx.secret<Passphrase>(options.passphrase);
  auto site = lifecycle::Site::open(paths, pass);
  lifecycle::authorize(site, options.op(), command);
  site.token_pin = token_pin_source(options, ctx);
  return site;
}

}  // namespace cardctl::cli
