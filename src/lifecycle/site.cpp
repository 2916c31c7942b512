#include "cardctl/site.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cardctl/error.hpp"
#include "cardctl/files.hpp"

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

Site Site::init(const SitePaths& paths, const Passphrase& passphrase, const InitOptions& options) {
  if (options.policy_file.empty())
    throw Error(ErrorKind::usage, "cardctl init needs a policy file", "start from examples/policy.toml: --policy FILE");
  policy::Policy pol = policy::load_policy(options.policy_file);  // refuse a bad policy before creating anything
  if (!options.force && (files::exists(paths.keystore()) || files::exists(paths.inventory())))
    throw Error(ErrorKind::conflict, "an installation already exists in " + paths.dir,
                "use it as it is, or pass --force to replace it (this destroys its keys: cards issued under them "
                "can no longer be unblocked)");
  if (::mkdir(paths.dir.c_str(), 0700) != 0 && errno != EEXIST)
    throw Error(ErrorKind::io, "creating " + paths.dir + ": " + std::strerror(errno));
  const std::vector<std::string> made = {paths.keystore(), paths.policy(), paths.inventory(), paths.inventory() + "-wal",
                                         paths.inventory() + "-shm", paths.audit()};
  if (options.force)
    for (const auto& f : made) ::unlink(f.c_str());
  try {
    store::KeystoreOptions ko{options.force, options.scrypt, options.import_master ? &*options.import_master : nullptr,
                              options.import_version.value_or(1)};
    auto ks = store::Keystore::create(paths.keystore(), passphrase, ko);
    files::write_atomic(paths.policy(), files::read(options.policy_file), 0600);
    Site site(paths, std::move(ks), store::Inventory::open(paths.inventory()), std::move(pol));
    site.policy.source = paths.policy();
    site.audit({"", operator_name(options.operator_name), "init", "", "", "ok",
                options.import_master ? "master key imported" : "",
                {{"key_version", std::to_string(site.keystore.current_version())}}});
    return site;
  } catch (...) {
    for (const auto& f : made) ::unlink(f.c_str());  // no half-made installation is left behind
    throw;
  }
}

Site Site::open(const SitePaths& paths, const Passphrase& passphrase) {
  if (!files::exists(paths.keystore()))
    throw Error(ErrorKind::not_found, "no cardctl installation in " + paths.dir,
                "create one with: cardctl init --policy FILE (or point --home / CARDCTL_HOME at yours)");
  auto ks = store::Keystore::open(paths.keystore(), passphrase);
  auto pol = policy::load_policy(paths.policy());
  return Site(paths, std::move(ks), store::Inventory::open(paths.inventory()), std::move(pol));
}

void Site::audit(store::AuditEntry entry) {
  if (entry.time.empty()) entry.time = inventory.now();
  store::AuditLog log(paths.audit(), keystore.audit_key());
  store::AuditHead head = log.append(entry);
  inventory.set_audit_head(head.seq, head.hash);
}

}  // namespace cardctl::lifecycle
