// Layer 9: an installation ("site"): the keystore, the inventory, the audit trail and the policy, in one
// directory (docs/architecture.md#state). `cardctl init` creates it; every helpdesk and issuance command opens it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "cardctl/audit.hpp"
#include "cardctl/card_unlock.hpp"
#include "cardctl/inventory.hpp"
#include "cardctl/keystore.hpp"
#include "cardctl/master_token.hpp"
#include "cardctl/policy.hpp"
#include "cardctl/site_config.hpp"

namespace cardctl::lifecycle {

struct SitePaths {
  std::string dir;
  std::string keystore() const { return dir + "/keystore"; }
  /// The operators' cards that open the keystore (card_unlock.hpp): DIR/keystore.cards.
  std::string keystore_cards() const { return store::card_unlock_path(keystore()); }
  std::string inventory() const { return dir + "/inventory.db"; }
  std::string audit() const { return dir + "/audit.log"; }
  std::string policy() const { return dir + "/policy.toml"; }
  /// Where the parts live when not all here (site_config.hpp): DIR/site.toml.
  std::string site_config() const { return dir + "/site.toml"; }
};

/// $CARDCTL_HOME, else $XDG_DATA_HOME/cardctl, else ~/.local/share/cardctl.
std::string default_site_dir();

struct InitOptions {
  std::string policy_file;                 // validated, then copied into the site
  bool force = false;                      // replace an existing installation
  std::optional<MasterKey> import_master;  // migrate a master key from another system (self-wiping)
  std::optional<std::uint32_t> import_version;
  crypto::ScryptParams scrypt{};
  std::string operator_name;
  /// Where the inventory and audit trail live, and the PKCS#11 module (written to DIR/site.toml when not the
  /// defaults).
  SiteConfig config;
  /// The first master key is this key object in a PKCS#11 token (config.pkcs11_module), generated there or, with
  /// import_master, imported into it (master_token.hpp); the keystore records only the URI.
  std::optional<std::string> master_token_uri;
  std::function<Pin()> token_pin;  // with master_token_uri: the token's PIN
};

/// What init refuses before anything is asked or created: no policy file (Error(usage)), a bad one (its
/// Error from load_policy), an installation already in paths.dir (a keystore, inventory or audit trail) unless
/// force (Error(conflict)). Returns the validated policy.
policy::Policy check_new_installation(const SitePaths& paths, const std::string& policy_file, bool force);

class Site {
 public:
  /// Creates the directory (0700, parents as needed), keystore, inventory, audit trail and policy copy, after
  /// check_new_installation. The new installation is built in a
  /// directory beside the old one and swapped in only when complete: a failure leaves the old one untouched,
  /// and a replaced one is kept as DIR.replaced-TIME (previous_installation names it).
  static Site init(const SitePaths& paths, const Passphrase& passphrase, const InitOptions& options);
  /// Opens an installation: Error(not_found) with a hint to run `cardctl init` when there is none; Error(io)
  /// when the inventory is missing or empty, or keystore and inventory belong to different installations.
  static Site open(const SitePaths& paths, const Passphrase& passphrase);
  /// The same with the keystore's file key, as an operator's card unwraps it (cardctl-operator(1)).
  static Site open_with_file_key(const SitePaths& paths, ByteView file_key);

  /// The same with a keystore already open (the one of this installation).
  static Site open_with_keystore(const SitePaths& paths, store::Keystore keystore) {
    return open_with(paths, std::move(keystore));
  }

  /// The same installation with its own inventory connection (one per thread: SQLite transactions belong to a
  /// connection), sharing nothing mutable with this one.
  Site another_connection() const;

  /// Appends to the audit trail (time filled in) and records the new head in the inventory.
  void audit(store::AuditEntry entry);

  /// The audit trail, verified against the inventory's head; Error(io) when it is not intact, since the
  /// helpdesk's limits are read from it.
  std::vector<store::AuditEntry> verified_audit();
  /// The trail's lines, from its file or (PostgreSQL) from the database; unverified.
  std::vector<std::string> audit_lines();
  /// "the audit trail PATH" or "the audit trail in URL", for messages.
  std::string audit_location() const;
  /// The trail's last entry as the inventory recorded it (MAC checked); Error(io) when the record is missing.
  std::optional<store::AuditHead> audit_head();

  /// The start of the helpdesk's current period (now - helpdesk.period_days), as the trail's timestamps are
  /// written: the limits, lockouts and counts are all taken over it.
  std::string helpdesk_period_start();

  /// The KBKDF PRF of master key `version` (docs/architecture.md#key-derivation): CMAC-AES-256 with the keystore's
  /// key, or computed by the PKCS#11 token that holds it (docs/architecture.md#master-keys-in-a-pkcs11-token),
  /// opened on first use with token_pin and kept open. Errors: those of Keystore::master, Pkcs11Token::open.
  crypto::Prf master_prf(std::uint32_t version) const;
  /// crypto::derive_admin_key with master_prf(version).
  AdminKey derive_admin_key(std::uint32_t version, crypto::AdminAlgorithm algorithm, std::string_view card_id) const;
  /// The open token that holds the key uri names (opened as master_prf opens it).
  store::Pkcs11Token& master_token(const std::string& uri) const;
  /// Asks for the PIN of the token that holds master keys, when one is first opened (set by the CLI). A Site
  /// that never derives with a key in a token never calls it.
  std::function<Pin()> token_pin;

  std::string previous_installation;  // set by init when it replaced one

  SitePaths paths;
  SiteConfig config;
  store::Keystore keystore;
  store::Inventory inventory;
  policy::Policy policy;

 private:
  Site(SitePaths p, SiteConfig c, store::Keystore k, store::Inventory i, policy::Policy pol)
      : paths(std::move(p)), config(std::move(c)), keystore(std::move(k)), inventory(std::move(i)), policy(std::move(pol)) {}
  static void require_keystore(const SitePaths& paths);
  static Site open_with(const SitePaths& paths, store::Keystore ks);
  bool creating_ = false;  // init: the first entry starts the trail
  std::shared_ptr<MasterTokens> tokens_ = std::make_shared<MasterTokens>();  // shared with another_connection(): a token opens once per process
};

/// The operator name recorded in the audit trail: --operator, else $CARDCTL_OPERATOR, else the login name.
std::string operator_name(const std::string& given);

/// A master key to import, read from a 0600 file of 64 hex digits (files::read_secret); every buffer it passes
/// through wipes itself. Error(usage) when the file does not hold 32 bytes.
MasterKey read_master_key_file(const std::string& path);

/// `cardctl init --rotate`: adds a new current master key version to the installation (cards issued under the
/// older ones keep working, docs/architecture.md#key-derivation), saves the keystore and audits it ("rotate").
/// When the current version is in a PKCS#11 token, the new one is generated in that token
/// (rotate_master_key_in_token). Returns the new version.
std::uint32_t rotate_master_key(Site& site, const std::string& operator_name);
/// `cardctl init --import-master` into an existing installation: the key becomes current, as `version` or the
/// next one; saved and audited ("import-master"). Returns its version.
std::uint32_t import_master_key(Site& site, const MasterKey& key, std::optional<std::uint32_t> version,
                                const std::string& operator_name);

}  // namespace cardctl::lifecycle
