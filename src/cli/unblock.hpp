// `cardctl unblock`: the holder unblocks the PIN: interactively in one card session (challenge shown, response
// and new PIN typed), with --response after `challenge --detach`, or with the PUK (--puc).
#pragma once

#include <optional>
#include <string>

#include "unblock_flow.hpp"

namespace cardctl::cli {

struct UnblockOptions {
  UnblockInputs inputs;
  std::optional<std::string> response;  // --response CODE (detached flow)
  bool puc = false;
  bool force = false;
  SecretRequest puk{"PUK", "--puk-file", std::nullopt, "CARDCTL_PUK", false};
};

void setup_unblock(CLI::App& app, Context& ctx);
void run_unblock(UnblockOptions& options, Context& ctx);

}  // namespace cardctl::cli
