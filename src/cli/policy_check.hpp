// `cardctl policy check FILE`: lint a policy file; every problem names file, line and key.
#pragma once

#include <string>

#include "context.hpp"

namespace cardctl::cli {

struct PolicyCheckOptions {
  std::string file;
};

void setup_policy(CLI::App& app, Context& ctx);
void run_policy_check(const PolicyCheckOptions& options, Context& ctx);

}  // namespace cardctl::cli
