// `cardctl show`: one card from the inventory: holder, state, template, admin key, its offline unblocks in the
// current period and its history from the verified audit trail.
#pragma once

#include <string>

#include "site_options.hpp"

namespace cardctl::cli {

struct ShowOptions {
  SiteOptions site;
  std::string card_id;
};

void setup_show(CLI::App& app, Context& ctx);
void run_show(const ShowOptions& options, Context& ctx);

}  // namespace cardctl::cli
