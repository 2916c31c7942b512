#include "cardctl/site.hpp"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>
#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cardctl/error.hpp"
#include "cardctl/files.hpp"
#include "cardctl/master_token.hpp"
#include "cardctl/phase_time.hpp"

namespace cardctl::lifecycle {

std::string default_site_dir() {
  if (const char* h = std::getenv("CARDCTL_HOME"); h != nullptr && *h != '\0') return h;
  if (const char* x = std::getenv("XDG_DATA_HOME"); x != nullptr && *x != '\0') return std::string(x) + "/cardctl";
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr ? home : ".") + "/.local/share/cardctl";
}

std::string operator_name(const std::string& given) {
  if (!given.empty()) return given;
  if (const char* o = std::getenv("CARDCTL_OPERATOR"); o != nullptr && *o != '\0') return o;
  if (struct passwd* pw = getpwuid(getuid()); pw != nullptr) return pw->pw_name;
  return "unknown";
}

namespace {
std::string without_trailing_slashes(std::string dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir;
}

std::string parent_of(const std::string& dir) {
  auto slash = dir.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : dir.substr(0, slash);
}

void remove_tree_of_site(const SitePaths& p) {
  for (const auto& f : {p.keystore(), p.keystore_cards(), p.policy(), p.site_config(), p.inventory(), p.inventory() + "-wal", p.inventory() + "-shm",
                        p.inventory() + "-journal", p.audit(), p.audit() + ".lock"})
    ::unlink(f.c_str());
  ::rmdir(p.dir.c_str());
}

store::InventoryOptions inventory_options(const store::Keystore& ks, bool create) {
  store::InventoryOptions o;
  o.mac_key = SecureBytes(ks.audit_key().begin(), ks.audit_key().end());
  o.installation_id = ks.installation_id();
  o.create = create;
  return o;
}
}  // namespace

policy::Policy check_new_installation(const SitePaths& paths, const std::string& policy_file, bool force) {
  if (policy_file.empty())
    throw Error(ErrorKind::usage, "cardctl init needs a policy file", "start from examples/policy.toml: --policy FILE");
  policy::Policy pol = policy::load_policy(policy_file);  // refuse a bad policy before creating anything
  if (force) return pol;
  if (files::exists(paths.keystore()))
    throw Error(ErrorKind::conflict, "an installation already exists in " + paths.dir,
                "use it as it is, add a key version with --rotate, or replace it with --force (destroys its keys)");
  if (files::exists(paths.inventory()) || files::exists(paths.audit()))
    throw Error(ErrorKind::conflict, "an installation already exists in " + paths.dir,
                "use it as it is, or pass --force to replace it (cards issued under its keys can then only be "
                "unblocked with the kept copy)");
  return pol;
}

Site Site::init(const SitePaths& given, const Passphrase& passphrase, const InitOptions& options) {
  SitePaths paths{without_trailing_slashes(given.dir)};
  policy::Policy pol = check_new_installation(paths, options.policy_file, options.force);
  bool existing = files::exists(paths.keystore()) || files::exists(paths.inventory()) || files::exists(paths.audit());
  std::string parent = parent_of(paths.dir);
  files::make_dirs(parent, 0700);
  if (files::exists(paths.dir) && !existing) {
    struct stat st {};
    if (::stat(paths.dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
      throw Error(ErrorKind::io, paths.dir + " exists and is not a directory",
                  "choose another place with --home or CARDCTL_HOME");
  }
  // Built beside the final place, on the same file system, so that it can be swapped in whole.
  std::string tmpl = paths.dir + ".new-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr)
    throw Error(ErrorKind::io, "creating a directory beside " + paths.dir + ": " + std::strerror(errno),
                "check that " + parent + " is writable and not full");
  SitePaths building{buf.data()};
  try {
    const MasterKey* import = options.import_master ? &*options.import_master : nullptr;
    store::KeystoreOptions ko{false, options.scrypt, options.master_token_uri ? nullptr : import,
                              options.import_version.value_or(1), options.master_token_uri};
    auto ks = store::Keystore::create(building.keystore(), passphrase, ko);
    if (options.master_token_uri)  // docs/architecture.md#master-keys-in-a-pkcs11-token
      create_master_in_token(options.config.pkcs11_module, *options.master_token_uri, options.token_pin, import);
    files::write_atomic(building.policy(), files::read(options.policy_file), 0600);
    if (!options.config.local_inventory() || !options.config.pkcs11_module.empty())
      save_site_config(building.site_config(), options.config);
    auto inventory =
        store::Inventory::open(options.config.inventory_location(building.inventory()), inventory_options(ks, true));
    Site site(building, options.config, std::move(ks), std::move(inventory), std::move(pol));
    site.creating_ = true;
    const std::string owner = operator_name(options.operator_name);
    site.audit({"", owner, "init", "", "", "ok", options.import_master ? "master key imported" : "",
                {{"key_version", std::to_string(site.keystore.current_version())},
                 {"installation", site.keystore.installation_id()}}});
    // Whoever creates the installation is its first system owner (cardctl-operator(1)).
    site.inventory.add_operator({owner, "system_owner", "", owner});
    site.audit({"", owner, "operator", "", "", "added", "", {{"operator", owner}, {"role", "system_owner"}}});
  } catch (...) {
    remove_tree_of_site(building);  // nothing half-made is left, and the old installation is untouched
    throw;
  }
  std::string kept;
  if (::rename(building.dir.c_str(), paths.dir.c_str()) != 0) {
    // The final directory exists and is not empty: exchange the two, then keep the old one aside.
    if (errno != ENOTEMPTY && errno != EEXIST) {
      int err = errno;
      remove_tree_of_site(building);
      throw Error(ErrorKind::io, "moving the new installation into " + paths.dir + ": " + std::strerror(err));
    }
    if (::renameat2(AT_FDCWD, building.dir.c_str(), AT_FDCWD, paths.dir.c_str(), RENAME_EXCHANGE) != 0) {
      int err = errno;
      remove_tree_of_site(building);
      throw Error(ErrorKind::io, "replacing the installation in " + paths.dir + ": " + std::strerror(err),
                  "the old installation is untouched");
    }
    kept = paths.dir + ".replaced-" + store::iso8601(std::chrono::system_clock::now());
    if (::rename(building.dir.c_str(), kept.c_str()) != 0) kept = building.dir;
  }
  Site site = open(paths, passphrase);
  site.previous_installation = kept;
  return site;
}

void Site::require_keystore(const SitePaths& paths) {
  if (!files::exists(paths.keystore())) {
    if (files::exists(paths.inventory()) || files::exists(paths.audit()))
      throw Error(ErrorKind::io, "the keystore " + paths.keystore() + " is missing, but an inventory or audit trail is there",
                  "restore the keystore from your backup");
    throw Error(ErrorKind::not_found, "no cardctl installation in " + paths.dir,
                "create one with: cardctl init --policy FILE (or point --home / CARDCTL_HOME at yours)");
  }
}

Site Site::open(const SitePaths& paths, const Passphrase& passphrase) {
  require_keystore(paths);
  return open_with(paths, store::Keystore::open(paths.keystore(), passphrase));
}

Site Site::open_with_file_key(const SitePaths& paths, ByteView file_key) {
  require_keystore(paths);
  return open_with(paths, store::Keystore::open_with_file_key(paths.keystore(), file_key));
}

Site Site::open_with(const SitePaths& paths, store::Keystore ks) {
  auto pol = policy::load_policy(paths.policy());
  auto config = load_site_config(paths.site_config());
  auto inventory = store::Inventory::open(config.inventory_location(paths.inventory()), inventory_options(ks, false));
  return Site(paths, std::move(config), std::move(ks), std::move(inventory), std::move(pol));
}


std::string Site::helpdesk_period_start() {
  return store::iso8601(inventory.now_point() - std::chrono::hours(24 * policy.helpdesk.period_days));
}

Site Site::another_connection() const {
  auto ks = keystore.clone();
  auto inv = store::Inventory::open(config.inventory_location(paths.inventory()), inventory_options(ks, false));
  Site site(paths, config, std::move(ks), std::move(inv), policy);
  site.tokens_ = tokens_;
  site.token_pin = token_pin;
  return site;
}

std::optional<store::AuditHead> Site::audit_head() {
  auto h = inventory.audit_head();
  // Every installation audits its init, so the head exists from the start: a missing one was deleted, which
  // would otherwise let a deleted trail pass as a new one.
  if (!h)
    throw Error(ErrorKind::io, "the inventory " + inventory.location() + " has no record of the audit trail's last entry",
                "run cardctl audit verify, keep the files as evidence and restore the inventory from your backup");
  return store::AuditHead{h->first, h->second};
}

std::vector<store::AuditEntry> Site::verified_audit() {
  phase_time::Scope timed("audit");
  auto trail = store::read_audit_lines(audit_lines(), keystore.audit_key(), audit_head());
  if (!trail.verification.ok)
    throw Error(ErrorKind::io, audit_location() + " is not intact (" + trail.verification.problem +
                                   "): the helpdesk's limits cannot be read from it",
                "run cardctl audit verify, keep the file as evidence and restore the trail from your backup");
  return std::move(trail.entries);
}

MasterKey read_master_key_file(const std::string& path) {
  const SecureBytes text = files::read_secret(path);
  const char* const hint = "the file holds the master key as 64 hex digits (0-9, a-f) on one line";
  MasterKey key = with_context(path, [&] {
    try {
      return MasterKey(secure_from_hex(std::string_view(reinterpret_cast<const char*>(text.data()), text.size())));
    } catch (const Error& e) {
      throw Error(e).with_hint(hint);
    }
  });
  if (key.size() != 32) throw Error(ErrorKind::usage, path + " must hold a 32-byte master key as 64 hex digits", hint);
  return key;
}

std::uint32_t rotate_master_key(Site& site, const std::string& operator_name) {
  if (site.keystore.in_token(site.keystore.current_version())) return rotate_master_key_in_token(site, operator_name);
  const std::uint32_t version = site.keystore.rotate();
  site.keystore.save();
  site.audit({"", operator_name, "rotate", "", "", "ok", "", {{"key_version", std::to_string(version)}}});
  return version;
}

std::uint32_t import_master_key(Site& site, const MasterKey& key, std::optional<std::uint32_t> version,
                                const std::string& operator_name) {
  const std::uint32_t v = site.keystore.import_master(key.bytes(), version, true);
  site.keystore.save();
  site.audit({"", operator_name, "import-master", "", "", "ok", "", {{"key_version", std::to_string(v)}}});
  return v;
}

void Site::audit(store::AuditEntry entry) {
  phase_time::Scope timed("audit");
  if (entry.time.empty()) entry.time = inventory.now();
  if (inventory.holds_audit_trail()) {
    // One transaction under the database's write lock: the entry, chained to the last one, and the head move
    // together, so every workstation appends to the one chain.
    inventory.with_transaction([&] {
      if (!creating_) audit_head();
      const std::string line = store::audit_line_after(inventory.last_audit_line(), entry, keystore.audit_key());
      const store::AuditHead head = store::audit_head_of(line);
      inventory.add_audit_line(head.seq, line);
      inventory.set_audit_head(head.seq, head.hash);
    });
    return;
  }
  if (!creating_) audit_head();  // never start a new trail over a deleted one
  store::AuditLog log(paths.audit(), keystore.audit_key());
  store::AuditHead head = log.append(entry);
  inventory.set_audit_head(head.seq, head.hash);
}

std::vector<std::string> Site::audit_lines() {
  return inventory.holds_audit_trail() ? inventory.audit_lines() : store::audit_file_lines(paths.audit());
}

std::string Site::audit_location() const {
  return inventory.holds_audit_trail() ? "the audit trail in " + inventory.location() : "the audit trail " + paths.audit();
}

}  // namespace cardctl::lifecycle
