// `cardctl challenge`: show the card's challenge; then (still holding the card) read the response and the new
// PIN from stdin or files — or, with --detach, leave the card for a later `cardctl unblock --response`.
#pragma once

#include "unblock_flow.hpp"

namespace cardctl::cli {

struct ChallengeOptions {
  UnblockInputs inputs;
  bool detach = false;
};

void setup_challenge(CLI::App& app, Context& ctx);
void run_challenge(ChallengeOptions& options, Context& ctx);

}  // namespace cardctl::cli
