// `cardctl holder show|answers|clear-lockout`: the helpdesk's work on a holder's record (cardctl-holder(1)).
#pragma once

#include <string>
#include <vector>

#include "site_options.hpp"

namespace cardctl::cli {

struct HolderOptions {
  SiteOptions site;
  std::string holder_id;
  std::vector<std::string> answer_ids;
  std::string reason;
};

void setup_holder(CLI::App& app, Context& ctx);

}  // namespace cardctl::cli
