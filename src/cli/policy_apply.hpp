// `cardctl policy apply FILE`: replace the installation's policy with FILE, after the same lint as `policy
// check`, its fixed keys checked against the keystore, and a refusal when cards of the inventory would lose their
// template or admin key; shows the diff and a summary, asks unless --yes, installs atomically, audits.
#pragma once

#include <string>

#include "site_options.hpp"

namespace cardctl::cli {

struct PolicyApplyOptions {
  SiteOptions site;
  std::string file;
  bool dry_run = false;
  bool yes = false;
};

/// Adds `apply` to the `policy` group.
void setup_policy_apply(CLI::App& policy, Context& ctx);
void run_policy_apply(const PolicyApplyOptions& options, Context& ctx);

}  // namespace cardctl::cli
