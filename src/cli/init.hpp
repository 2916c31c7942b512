// `cardctl init`: create the installation (keystore with a fresh or imported master key, inventory, audit
// trail, policy); `--rotate` adds a new master key version to an existing one; `--so-token` issues the System
// Owner token (so_token_cmd.hpp), creating the installation first when there is none.
#pragma once

#include <optional>
#include <string>

#include "cardctl/secret.hpp"
#include "site_options.hpp"

namespace cardctl::cli {

struct InitOptions {
  SiteOptions site;
  std::string policy_file;
  bool force = false;
  bool rotate = false;
  std::optional<std::string> import_master_file;
  std::optional<std::uint32_t> key_version;
  std::optional<std::uint64_t> scrypt_n;  // hidden: fast keystores for tests
  std::string inventory;  // --inventory / CARDCTL_INVENTORY: a postgresql:// URL; empty: SQLite in the directory
  std::optional<std::string> master_key;  // --master-key pkcs11:URI: the master key in a PKCS#11 token
  std::string pkcs11_module;              // --pkcs11-module / CARDCTL_PKCS11_MODULE
  // --so-token
  bool so_token = false;
  bool dry_run = false;
  SecretRequest so_key{"SO unblock key (typed back)", "--so-key-file", std::nullopt, "", false};
  SecretRequest so_pin{"new SO PIN", "--pin-file", std::nullopt, "", true};
};

/// lifecycle::check_new_installation for these options, called before any secret is asked.
void check_new_installation(const InitOptions& options);
/// Creates the installation as `cardctl init` does (lifecycle::Site::init, which checks first); returns it.
lifecycle::Site create_installation(InitOptions& options, Context& ctx, const Passphrase& passphrase,
                                    std::optional<MasterKey> imported = std::nullopt);

void setup_init(CLI::App& app, Context& ctx);
void run_init(InitOptions& options, Context& ctx);

}  // namespace cardctl::cli
