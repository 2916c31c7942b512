// `cardctl audit verify` and `cardctl audit show`: check the audit trail's chain and MACs; list entries.
#pragma once

#include <string>

#include "cardctl/audit.hpp"
#include "site_options.hpp"

namespace cardctl::cli {

struct AuditOptions {
  SiteOptions site;
  store::AuditFilter filter;
};

void setup_audit(CLI::App& app, Context& ctx);
void run_audit_verify(const AuditOptions& options, Context& ctx);
void run_audit_show(const AuditOptions& options, Context& ctx);

}  // namespace cardctl::cli
