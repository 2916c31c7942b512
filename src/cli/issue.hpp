// `cardctl issue`: personalise one card from a policy template and register it (DESIGN.md §1, §4).
#pragma once

#include <string>
#include <vector>

#include "site_options.hpp"

namespace cardctl::cli {

struct IssueOptions {
  SiteOptions site;
  std::string template_name;
  std::string holder_id;
  std::string holder_name;
  std::vector<std::string> answer_ids;  // --answer ID (the answers are read like secrets)
  SecretRequest first_pin{"first PIN", "--pin-file", std::nullopt, "", true};
  bool choose_pin = false;
  bool force = false;  // may spend the last PIN try
};

void setup_issue(CLI::App& app, Context& ctx);
void run_issue(IssueOptions& options, Context& ctx);

}  // namespace cardctl::cli
