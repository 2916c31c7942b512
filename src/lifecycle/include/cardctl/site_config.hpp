// Layer 9: where an installation's parts live (docs/architecture.md#site-configuration): DIR/site.toml, written by
// `cardctl init` and read by every command that opens the installation. Without the file everything is local:
// the inventory DIR/inventory.db (SQLite) and the audit trail DIR/audit.log. With it, the inventory and the audit
// trail may be in a PostgreSQL database shared by several workstations, and master keys in a PKCS#11 token
// (the keystore names them by URI; the module to load is given here). The file never holds a secret: a database
// URL with a password in it is refused.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace cardctl::lifecycle {

struct SiteConfig {
  /// "postgresql://..." (or "postgres://..."), or empty for the SQLite file in the installation directory.
  std::string inventory_url;
  /// The PKCS#11 module (a shared library) that holds master keys named by a pkcs11: URI; empty when none.
  std::string pkcs11_module;

  bool local_inventory() const { return inventory_url.empty(); }
  /// Where the inventory is: local_file (the installation directory's SQLite file) or the database URL.
  std::string inventory_location(const std::string& local_file) const {
    return local_inventory() ? local_file : inventory_url;
  }
  /// DIR/site.toml's text (comments say what each key is).
  std::string to_toml() const;
};

/// Checks a database URL for the site file: a postgresql:// URL without a password (Error(usage) naming the
/// libpq conventions to use instead: ~/.pgpass, PGPASSFILE, PGPASSWORD, client certificates). The message never
/// repeats the password.
void check_inventory_url(const std::string& url);

/// Reads path; a missing file is the default configuration. Error(usage) naming the line for a file that is not
/// TOML, has an unknown key, a value of the wrong type or a URL with a password; Error(io) when group or others
/// may write it.
SiteConfig load_site_config(const std::string& path);
/// Writes it atomically, mode 0600.
void save_site_config(const std::string& path, const SiteConfig& config);

}  // namespace cardctl::lifecycle
