// `cardctl site show` and `cardctl site migrate` (cardctl-site(1)): where an installation's parts live, and moving
// its inventory and audit trail into a PostgreSQL database shared by several workstations.
#pragma once

#include <string>

#include "site_options.hpp"

namespace cardctl::cli {

struct SiteCmdOptions {
  SiteOptions site;
  std::string to;  // migrate --to URL
};

void setup_site(CLI::App& app, Context& ctx);
void run_site_show(const SiteCmdOptions& options, Context& ctx);
void run_site_migrate(const SiteCmdOptions& options, Context& ctx);

}  // namespace cardctl::cli
