// `cardctl revoke`: an active card is revoked (lost, stolen, its holder gone), with the reason in the audit trail;
// the helpdesk gives no offline unblock for it afterwards.
#pragma once

#include <string>

#include "site_options.hpp"

namespace cardctl::cli {

struct RevokeOptions {
  SiteOptions site;
  std::string card_id;
  std::string reason;
};

void setup_revoke(CLI::App& app, Context& ctx);
void run_revoke(const RevokeOptions& options, Context& ctx);

}  // namespace cardctl::cli
