// Layer 10: what the helpdesk and issuance commands share: where the installation is (--home, CARDCTL_HOME)
// and the keystore passphrase (--passphrase-file, CARDCTL_PASSPHRASE, stdin, or a prompt).
#pragma once

#include <string>

#include "cardctl/site.hpp"
#include "context.hpp"

namespace cardctl::cli {

struct SiteOptions {
  std::string home;           // --home; default lifecycle::default_site_dir()
  std::string operator_name;  // --operator; default $CARDCTL_OPERATOR or the login name
  SecretRequest passphrase{"keystore passphrase", "--passphrase-file", std::nullopt, "CARDCTL_PASSPHRASE", false};

  lifecycle::SitePaths paths() const;
  std::string op() const { return lifecycle::operator_name(operator_name); }
};

/// Adds --home, --operator and --passphrase-file.
void add_site_options(CLI::App& app, SiteOptions& options);
/// Reads the passphrase, opens the installation, and checks that the operator's role may run command
/// (cardctl-operator(1); the command names of policy::role_commands()).
lifecycle::Site open_site(const SiteOptions& options, const Context& ctx, std::string_view command);

}  // namespace cardctl::cli
