#include "init.hpp"

#include <CLI/CLI.hpp>
#include <filesystem>

#include "cardctl/error.hpp"
#include "cardctl/files.hpp"
#include "json.hpp"
#include "output.hpp"
#include "so_token_cmd.hpp"

namespace cardctl::cli {

void setup_init(CLI::App& app, Context& ctx) {
  auto options = std::make_shared<InitOptions>();
  options->site.passphrase.confirm = true;
  auto* sub = app.add_subcommand("init", "Create the installation: keystore, inventory, audit trail and policy");
  add_site_options(*sub, options->site);
  add_json_option(*sub, ctx);
  sub->add_option("--policy", options->policy_file, "The policy file to install (checked first)")->type_name("FILE");
  sub->add_flag("--force", options->force, "Replace an existing installation (destroys its keys)");
  sub->add_flag("--rotate", options->rotate,
                "Add a new master key version to the existing installation; cards issued under older versions "
                "keep working");
  sub->add_option("--inventory", options->inventory,
                  "Keep the inventory and audit trail in this PostgreSQL database (postgresql://HOST/DB?...), shared "
                  "by every workstation; default: an SQLite file in the installation directory")
      ->envname("CARDCTL_INVENTORY")
      ->type_name("URL");
  sub->add_option("--import-master", options->import_master_file,
                  "Import a master admin key (64 hex digits in a 0600 FILE) from another system")
      ->type_name("FILE");
  sub->add_option("--key-version", options->key_version, "Version number for the imported master key")
      ->type_name("N");
  sub->add_option("--master-key", options->master_key,
                  "Keep the master key in a PKCS#11 token, as the key object this RFC 7512 URI names "
                  "(pkcs11:token=LABEL;object=LABEL): generated there, or imported with --import-master; with "
                  "--rotate, the new version's key")
      ->type_name("URI");
  sub->add_option("--pkcs11-module", options->pkcs11_module,
                  "The PKCS#11 module (shared library) of the token named by --master-key, recorded in the "
                  "installation's site.toml")
      ->envname("CARDCTL_PKCS11_MODULE")
      ->type_name("PATH");
  sub->add_flag("--so-token", options->so_token,
                "Issue the System Owner token on the card in the reader (a card in its factory state): its admin key "
                "becomes a random SO unblock key, shown once; creates the installation first when there is none");
  add_card_options(*sub, ctx);
  add_secret_file_option(*sub, options->so_key,
                         "With --so-token: read the SO unblock key typed back from FILE (mode 0600), after it is shown");
  add_secret_file_option(*sub, options->so_pin, "With --so-token: read the new SO PIN from FILE (mode 0600)");
  sub->add_flag("--dry-run", options->dry_run, "With --so-token: read the card and print the steps; change nothing");
  sub->add_option("--scrypt-n", options->scrypt_n, "scrypt cost for the keystore (tests)")->group("");
  sub->footer(
      "The passphrase is asked twice on the terminal, or read from --passphrase-file, CARDCTL_PASSPHRASE or\n"
      "one line of stdin.\n\n"
      "Examples:\n"
      "  cardctl init --policy examples/policy.toml\n"
      "  cardctl init --home /srv/cardctl --policy policy.toml --import-master old-master.hex --key-version 3\n"
      "  cardctl init --rotate\n"
      "  cardctl init --policy policy.toml --inventory 'postgresql://db.example.org/cardctl?sslmode=verify-full'\n"
      "  cardctl init --policy policy.toml --master-key 'pkcs11:token=cardctl;object=cardctl-master-v1' \\\n"
      "      --pkcs11-module /usr/lib/softhsm/libsofthsm2.so --token-pin-file token-pin   # the key stays in the HSM\n"
      "  cardctl init --so-token --reader sim:so.sim     # the SO token; the key is shown once, then typed back");
  sub->callback([options, &ctx] { run_init(*options, ctx); });
}

void check_new_installation(const InitOptions& options) {
  lifecycle::check_new_installation(options.site.paths(), options.policy_file, options.force);
}

lifecycle::Site create_installation(InitOptions& options, Context& ctx, const Passphrase& passphrase,
                                    std::optional<MasterKey> imported) {
  lifecycle::InitOptions io;
  io.policy_file = options.policy_file;
  io.force = options.force;
  io.import_master = std::move(imported);
  io.import_version = options.key_version;
  if (options.scrypt_n) io.scrypt.n = *options.scrypt_n;
  io.operator_name = options.site.op();
  io.config.inventory_url = options.inventory;
  if (options.master_key) {
    io.master_token_uri = store::Pkcs11Uri::parse(*options.master_key).to_string();
    io.config.pkcs11_module = options.pkcs11_module;
    io.token_pin = token_pin_source(options.site, ctx);
  }
  auto site = lifecycle::Site::init(options.site.paths(), passphrase, io);
  if (!site.previous_installation.empty())
    ctx.note("the installation it replaced is kept in " + site.previous_installation +
             " (its keys unblock the cards issued under it; delete it when you no longer need them)");
  return site;
}

void run_init(InitOptions& options, Context& ctx) {
  if (options.so_token) return run_init_so_token(options, ctx);
  if (options.dry_run)
    throw Error(ErrorKind::usage, "--dry-run goes with --so-token", "cardctl init --so-token --dry-run");
  auto paths = options.site.paths();
  if (options.master_key) {
    store::Pkcs11Uri::parse(*options.master_key);  // a PIN in the URI is refused before anything is asked
    if (!options.pkcs11_module.empty()) options.pkcs11_module = std::filesystem::absolute(options.pkcs11_module);
  }
  std::optional<MasterKey> imported;
  if (options.import_master_file) imported.emplace(lifecycle::read_master_key_file(*options.import_master_file));
  std::uint32_t version = 0;
  std::string action;
  std::string token_uri;  // the new version's key, when it is in a PKCS#11 token
  if (options.rotate || (imported && files::exists(paths.keystore()) && !options.force)) {
    options.site.passphrase.confirm = false;
    auto site = open_site(options.site, ctx, "init");
    if (options.master_key && !options.pkcs11_module.empty() && options.pkcs11_module != site.config.pkcs11_module) {
      site.config.pkcs11_module = options.pkcs11_module;  // a new token's module, kept for the next commands
      lifecycle::save_site_config(paths.site_config(), site.config);
    }
    if (options.master_key)
      version = lifecycle::rotate_master_key_in_token(site, options.site.op(), *options.master_key,
                                                      imported ? &*imported : nullptr, options.key_version);
    else
      version = imported ? lifecycle::import_master_key(site, *imported, options.key_version, options.site.op())
                         : lifecycle::rotate_master_key(site, options.site.op());
    action = imported ? "master key imported" : "master key rotated";
    if (site.keystore.in_token(version)) token_uri = site.keystore.token_uri(version);
  } else {
    check_new_installation(options);  // a bad policy is refused before the passphrase is asked
    if (!options.inventory.empty()) lifecycle::check_inventory_url(options.inventory);
    if (options.master_key && options.pkcs11_module.empty())
      throw Error(ErrorKind::usage, "--master-key needs the token's PKCS#11 module",
                  "give --pkcs11-module PATH (or CARDCTL_PKCS11_MODULE), e.g. /usr/lib/softhsm/libsofthsm2.so");
    Passphrase pass = ctx.secret<Passphrase>(options.site.passphrase);
    auto site = create_installation(options, ctx, pass, std::move(imported));
    version = site.keystore.current_version();
    action = "installation created";
    if (site.keystore.in_token(version)) token_uri = site.keystore.token_uri(version);
  }
  if (ctx.json) {
    const char* word = action == "installation created" ? "created" : imported ? "imported" : "rotated";
    ctx.emit(Json::object().set("home", paths.dir).set("action", word).set("key_version", version));
  } else {
    Fields fields;
    fields.add("Installation", paths.dir).add("Result", action).add("Master key version", std::to_string(version));
    if (!token_uri.empty()) fields.add("Master key in token", token_uri);
    fields.print(ctx.o());
  }
}

}  // namespace cardctl::cli
