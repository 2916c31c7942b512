// Layer 10: what the helpdesk and issuance commands share: where the installation is (--home, CARDCTL_HOME)
// and what opens its keystore: the passphrase (--passphrase-file, CARDCTL_PASSPHRASE, stdin, or a prompt), or an
// operator's card (--operator-card, CARDCTL_OPERATOR_CARD, with its PIN; cardctl-operator(1)); and the PIN of the
// PKCS#11 token that holds master keys, asked only when a key is derived with it (--token-pin-file,
// CARDCTL_TOKEN_PIN; docs/architecture.md#master-keys-in-a-pkcs11-token).
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
  SecretRequest token_pin{"token PIN", "--token-pin-file", std::nullopt, "CARDCTL_TOKEN_PIN", false};
  /// Set by open_site when an operator's card opened the installation: the operator the card is enrolled for,
  /// who is then the operator of the command.
  mutable std::string card_operator;

  lifecycle::SitePaths paths() const;
  std::string op() const { return card_operator.empty() ? lifecycle::operator_name(operator_name) : card_operator; }
};

/// Adds --home, --operator, --passphrase-file, --operator-card, --operator-pin-file and --token-pin-file.
void add_site_options(CLI::App& app, SiteOptions& options);
/// Opens the installation, and checks that the operator's role may run command (cardctl-operator(1); the command
/// names of policy::role_commands()). With --operator-card: the card's PIN (its last try is never spent), ECDH
/// in its slot 9D to unwrap the keystore's file key, and the operator is the one the card is enrolled for (a
/// different --operator is refused). Otherwise the keystore passphrase. The Site asks for the token PIN
/// (options.token_pin) when it first derives with a master key in a PKCS#11 token: options and ctx must outlive
/// it.
lifecycle::Site open_site(const SiteOptions& options, const Context& ctx, std::string_view command);
/// Reads options.token_pin as a Pin when called (options and ctx must outlive it).
lifecycle::TokenPinSource token_pin_source(const SiteOptions& options, const Context& ctx);

}  // namespace cardctl::cli
