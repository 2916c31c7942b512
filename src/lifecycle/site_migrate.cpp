#include "cardctl/site_migrate.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "cardctl/error.hpp"
#include "cardctl/files.hpp"

namespace cardctl::lifecycle {

namespace {
constexpr const char* kRestore = "keep the files as evidence and restore the installation from your backup before moving it";

// An exclusive lock on the trail file, as AuditLog::append takes one: no entry is added while it is held.
struct TrailLock {
  int fd = -1;
  explicit TrailLock(const std::string& path) {
    fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0 || ::flock(fd, LOCK_EX) != 0)
      throw Error(ErrorKind::io, "locking the audit trail " + path + ": " + std::strerror(errno));
  }
  ~TrailLock() { ::close(fd); }
};

void rename_aside(const std::string& from, const std::string& to) {
  if (files::exists(from) && ::rename(from.c_str(), to.c_str()) != 0)
    throw Error(ErrorKind::io, "moving " + from + " aside: " + std::strerror(errno),
                "the installation now uses the database; move the old file away by hand");
}
}  // namespace

MigrationResult migrate_to_database(Site& site, const std::string& url, const std::string& operator_name) {
  if (!site.config.local_inventory())
    throw Error(ErrorKind::usage, "the inventory of " + site.paths.dir + " is in a database already (" +
                                      site.config.inventory_url + ")",
                "cardctl site show says where each part is");
  check_inventory_url(url);
  MigrationResult result;
  result.to = url;
  TrailLock trail_lock(site.paths.audit());
  store::InventoryOptions options;
  options.mac_key = SecureBytes(site.keystore.audit_key().begin(), site.keystore.audit_key().end());
  options.installation_id = site.keystore.installation_id();
  options.create = true;
  auto target = store::Inventory::open(url, options);
  site.inventory.with_transaction([&] {
    // What is moved must verify first: a copy would otherwise carry the damage to every workstation.
    const std::vector<std::string> lines = site.audit_lines();
    auto trail = store::read_audit_lines(lines, site.keystore.audit_key(), site.audit_head());
    if (!trail.verification.ok)
      throw Error(ErrorKind::io, site.audit_location() + " is not intact (" + trail.verification.problem + ")", kRestore);
    if (auto rows = site.inventory.check_rows(); !rows.empty()) throw Error(ErrorKind::io, rows.front(), kRestore);
    target.with_transaction([&] {
      if (target.holds_installation_data())
        throw Error(ErrorKind::conflict, "the database " + url + " already holds a cardctl installation",
                    "give an empty database (CREATE DATABASE ...) to move this installation into");
      result.rows = site.inventory.copy_rows_into(target);
      for (const auto& line : lines) target.add_audit_line(store::audit_head_of(line).seq, line);
      auto head = target.audit_head();
      auto copied = store::read_audit_lines(target.audit_lines(), site.keystore.audit_key(),
                                            head ? std::optional<store::AuditHead>({head->first, head->second})
                                                 : std::nullopt);
      if (!copied.verification.ok || copied.verification.entries != trail.verification.entries || !head)
        throw Error(ErrorKind::io, "the audit trail copied into " + url + " does not verify (" +
                                       copied.verification.problem + "); nothing was moved");
      if (auto rows = target.check_rows(); !rows.empty())
        throw Error(ErrorKind::io, "the inventory copied into " + url + " does not verify (" + rows.front() +
                                       "); nothing was moved");
      result.entries = copied.verification.entries;
    });
    // From here on, every command that opens the installation uses the database.
    SiteConfig config = site.config;
    config.inventory_url = url;
    save_site_config(site.paths.site_config(), config);
  });
  const std::string suffix = ".migrated-" + store::iso8601(std::chrono::system_clock::now());
  result.kept_inventory = site.paths.inventory() + suffix;
  result.kept_audit = site.paths.audit() + suffix;
  {
    // Closed before it is moved: the last connection folds the WAL into the file.
    store::Inventory closing = std::move(site.inventory);
  }
  for (const char* part : {"", "-wal", "-shm"}) rename_aside(site.paths.inventory() + part, result.kept_inventory + part);
  rename_aside(site.paths.audit(), result.kept_audit);
  // The move is the first entry every workstation sees in the shared trail.
  Site moved = Site::open_with_keystore(site.paths, site.keystore.clone());  // the database now
  moved.audit({"", operator_name, "site-migrate", "", "", "ok", "",
               {{"from", site.paths.inventory()}, {"entries", std::to_string(result.entries)}}});
  return result;
}

}  // namespace cardctl::lifecycle
