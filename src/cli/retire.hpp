// `cardctl retire`: wipe a returned card and take it out of service, or mark a lost one (cardctl-retire(1)).
#pragma once

#include "site_options.hpp"

namespace cardctl::cli {

struct RetireOptions {
  SiteOptions site;
  std::string card_id;
  bool absent = false;
};

void setup_retire(CLI::App& app, Context& ctx);
void run_retire(const RetireOptions& options, Context& ctx);

}  // namespace cardctl::cli
