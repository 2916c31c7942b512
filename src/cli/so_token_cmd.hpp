// Layer 10: the System Owner token from the command line: `cardctl init --so-token` issues it (the SO unblock key
// shown once, typed back, never stored) and `cardctl so-unblock` gives a blocked token a new PIN with that key
// (cardctl-init(1), cardctl-so-unblock(1)).
#pragma once

#include "init.hpp"
#include "site_options.hpp"

namespace cardctl::cli {

/// `cardctl init --so-token`: opens the installation (role command "init") or creates it, then issues the token.
void run_init_so_token(InitOptions& options, Context& ctx);

struct SoUnblockOptions {
  SiteOptions site;
  SecretRequest so_key{"SO unblock key", "--so-key-file", std::nullopt, "", false};
  SecretRequest new_pin{"new SO PIN", "--pin-file", std::nullopt, "", true};
};

void setup_so_unblock(CLI::App& app, Context& ctx);
void run_so_unblock(SoUnblockOptions& options, Context& ctx);

}  // namespace cardctl::cli
