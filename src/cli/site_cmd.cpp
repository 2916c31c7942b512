#include "site_cmd.hpp"

#include <CLI/CLI.hpp>

#include "cardctl/error.hpp"
#include "cardctl/files.hpp"
#include "cardctl/site_migrate.hpp"
#include "json.hpp"
#include "output.hpp"

namespace cardctl::cli {

void setup_site(CLI::App& app, Context& ctx) {
  auto* site = app.add_subcommand("site", "Where the installation's parts live; move them to a shared database");
  site->require_subcommand(1);
  auto options = std::make_shared<SiteCmdOptions>();
  auto* show = site->add_subcommand("show", "Print where the keystore, policy, inventory, audit trail and master keys are");
  show->add_option("--home", options->site.home,
                   "The installation directory (default: $CARDCTL_HOME, else ~/.local/share/cardctl)")
      ->type_name("DIR");
  add_json_option(*show, ctx);
  show->footer("No passphrase is needed, and nothing secret is printed.\n\nExample:\n  cardctl site show --json");
  show->callback([options, &ctx] { run_site_show(*options, ctx); });

  auto* migrate = site->add_subcommand("migrate", "Move the inventory and audit trail into a PostgreSQL database");
  add_site_options(*migrate, options->site);
  add_json_option(*migrate, ctx);
  migrate->add_option("--to", options->to, "The empty database to move into: postgresql://HOST/DB?...")
      ->required()
      ->type_name("URL");
  migrate->footer(
      "Stop other cardctl commands on this installation first. The trail and inventory are verified before and\n"
      "after the copy; the old files are kept as DIR/inventory.db.migrated-TIME and DIR/audit.log.migrated-TIME.\n\n"
      "Example:\n"
      "  cardctl site migrate --to 'postgresql://db.example.org/cardctl?sslmode=verify-full'");
  migrate->callback([options, &ctx] { run_site_migrate(*options, ctx); });
}

void run_site_show(const SiteCmdOptions& options, Context& ctx) {
  const auto paths = options.site.paths();
  if (!files::exists(paths.keystore()))
    throw Error(ErrorKind::not_found, "no cardctl installation in " + paths.dir,
                "create one with: cardctl init --policy FILE (or point --home / CARDCTL_HOME at yours)");
  const auto config = lifecycle::load_site_config(paths.site_config());
  const bool local = config.local_inventory();
  const std::string inventory = config.inventory_location(paths.inventory());
  const std::string audit = local ? paths.audit() : config.inventory_url;
  const std::string keys = config.pkcs11_module.empty()
                               ? "in the keystore file"
                               : "in the keystore file or a PKCS#11 token (module " + config.pkcs11_module + ")";
  if (ctx.json) {
    ctx.emit(Json::object()
                 .set("home", paths.dir)
                 .set("keystore", paths.keystore())
                 .set("policy", paths.policy())
                 .set("site_file", files::exists(paths.site_config()) ? Json(paths.site_config()) : Json())
                 .set("inventory", Json::object().set("kind", local ? "sqlite" : "postgresql").set("location", inventory))
                 .set("audit", Json::object().set("kind", local ? "file" : "postgresql").set("location", audit))
                 .set("pkcs11_module", config.pkcs11_module.empty() ? Json() : Json(config.pkcs11_module)));
    return;
  }
  Fields()
      .add("Installation", paths.dir)
      .add("Keystore", paths.keystore())
      .add("Policy", paths.policy())
      .add("Site file", files::exists(paths.site_config()) ? paths.site_config() : "none (every part is here)")
      .add("Inventory", local ? inventory + " (SQLite)" : inventory + " (PostgreSQL, shared)")
      .add("Audit trail", local ? audit : "in the inventory database (one chain for every workstation)")
      .add("Master keys", keys)
      .print(ctx.o());
}

void run_site_migrate(const SiteCmdOptions& options, Context& ctx) {
  lifecycle::check_inventory_url(options.to);  // a URL with a password is refused before anything is asked
  auto site = open_site(options.site, ctx, "site");
  auto result = lifecycle::migrate_to_database(site, options.to, options.site.op());
  if (ctx.json) {
    ctx.emit(Json::object()
                 .set("to", result.to)
                 .set("rows", static_cast<std::int64_t>(result.rows))
                 .set("entries", static_cast<std::int64_t>(result.entries))
                 .set("kept", Json::array().push(Json(result.kept_inventory)).push(Json(result.kept_audit))));
    return;
  }
  Fields()
      .add("Inventory", result.to)
      .add("Rows moved", std::to_string(result.rows))
      .add("Audit entries", std::to_string(result.entries) + " moved, chain verified in the database")
      .add("Old files", result.kept_inventory + ", " + result.kept_audit)
      .print(ctx.o());
  ctx.done("the installation now uses the database; copy DIR/keystore, DIR/policy.toml and DIR/site.toml to the "
           "other workstations (cardctl-site(1))");
}

}  // namespace cardctl::cli
