#include "site_options.hpp"

#include "cardctl/operators.hpp"

#include <CLI/CLI.hpp>

#include "cardctl/files.hpp"

namespace cardctl::cli {

lifecycle::SitePaths SiteOptions::paths() const { return {home.empty() ? lifecycle::default_site_dir() : home}; }

void add_site_options(CLI::App& app, SiteOptions& options) {
  app.add_option("--home", options.home,
                 "The installation directory (default: $CARDCTL_HOME, else ~/.local/share/cardctl)")
      ->type_name("DIR");
  app.add_option("--operator", options.operator_name,
                 "Operator name for the audit trail (default: $CARDCTL_OPERATOR, else the login name)")
      ->type_name("NAME");
  add_secret_file_option(app, options.passphrase, "Read the keystore passphrase from FILE (mode 0600)");
}

lifecycle::Site open_site(const SiteOptions& options, const Context& ctx, std::string_view command) {
  auto paths = options.paths();
  if (!files::exists(paths.keystore())) return lifecycle::Site::open(paths, Passphrase());  // says "run init"
  Passphrase pass = ctx.secret<Passphrase>(options.passphrase);
  auto site = lifecycle::Site::open(paths, pass);
  lifecycle::authorize(site, options.op(), command);
  return site;
}

}  // namespace cardctl::cli
