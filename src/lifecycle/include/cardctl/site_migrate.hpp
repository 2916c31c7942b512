// Layer 9: `cardctl site migrate` (cardctl-site(1)): moves an installation's inventory and audit trail from the
// SQLite file and the trail file in its directory to a PostgreSQL database, so that several workstations can share
// them (docs/architecture.md#several-workstations).
#pragma once

#include <cstddef>
#include <string>

#include "cardctl/site.hpp"

namespace cardctl::lifecycle {

struct MigrationResult {
  std::string to;                // the database URL
  std::size_t rows = 0;          // inventory rows copied
  std::uint64_t entries = 0;     // audit entries copied (and verified in the database)
  std::string kept_inventory;    // where the SQLite file was moved aside
  std::string kept_audit;        // where the trail file was moved aside
};

/// Refuses (nothing changed) when the installation is not local, its trail or rows do not verify, or the
/// database already holds an installation. Otherwise, with the trail file locked and the SQLite inventory in a
/// write transaction (no other process can add to either meanwhile): copies every row and every trail line into
/// the database in one transaction, verifies the copy there (chain, MACs, head, rows), then records the URL in
/// DIR/site.toml. The old files are then renamed DIR/inventory.db.migrated-TIME and DIR/audit.log.migrated-TIME,
/// and the move is audited ("site-migrate") in the database's trail. `site` must be closed by the caller
/// afterwards (its inventory is the old file).
MigrationResult migrate_to_database(Site& site, const std::string& url, const std::string& operator_name);

}  // namespace cardctl::lifecycle
