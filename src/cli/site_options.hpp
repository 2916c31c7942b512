// Layer 10: what the helpdesk and issuance commands share: where the installation is (--home, CARDCTL_HOME)
// and what opens its keystore: the passphrase (--passphrase-file, CARDCTL_PASSPHRASE, stdin, or a prompt), or an
// operator's card (--operator-card, CARDCTL_OPERATOR_CARD, with its PIN; cardctl-operator(1)).
#pragma once

#include <string>

#include "cardctl/site.hpp"
#include "context.hpp"

namespace cardctl::cli {

struct SiteOptions {
  std::string home;           // --home; default lifecycle::default_site_dir()
  std::string operator_name;  // --operator; default $CARDCTL_OPERATOR or the login name
  SecretRequest passphrase{"keystore passphrase", "--passphrase-file", std::nullopt, "CARDCTL_PASSPHRASE", false};
  std::string operator_card;  // --operator-card / CARDCTL_OPERATOR_CARD: the reader of an operator's card
  SecretRequest operator_pin{"operator card PIN", "--operator-pin-file", std::nullopt, "CARDCTL_OPERATOR_PIN", false};
  /// Set by open_site when an operator's card opened the installation: the operator the card is enrolled for,
  /// who is then the operator of the command.
  mutable std::string card_operator;

  lifecycle::SitePaths paths() const;
  std::string op() const { return card_operator.empty() ? lifecycle::operator_name(operator_name) : card_operator; }
};

/// Adds --home, --operator, --passphrase-file, --operator-card and --operator-pin-file.
void add_site_options(CLI::App& app, SiteOptions& options);
/// Opens the installation, and checks that the operator's role may run command (cardctl-operator(1); the command
/// names of policy::role_commands()). With --operator-card: the card's PIN (its last try is never spent), ECDH
/// in its slot 9D to unwrap the keystore's file key, and the operator is the one the card is enrolled for (a
/// different --operator is refused). Otherwise the keystore passphrase.
lifecycle::Site open_site(const SiteOptions& options, const Context& ctx, std::string_view command);

}  // namespace cardctl::cli
