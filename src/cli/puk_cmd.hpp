// `cardctl puk change`: the holder changes the card's PUK (PIN Unblock Code). The PUK's tries are read from the
// card's metadata first; its last try, or a try the card cannot count, is spent only with --force (access.hpp):
// a blocked PUK cannot be unblocked.
#pragma once

#include <optional>
#include <string>

#include "context.hpp"

namespace cardctl::cli {

struct PukChangeOptions {
  SecretRequest puk{"current PUK", "--puk-file", std::nullopt, "CARDCTL_PUK", false};
  SecretRequest new_puk{"new PUK", "--new-puk-file", std::nullopt, "CARDCTL_NEW_PUK", true};
  bool force = false;  // may spend the last try, or a try the card cannot count
};

/// `puk` and its subcommand `change`.
void setup_puk(CLI::App& app, Context& ctx);
void run_puk_change(const PukChangeOptions& options, Context& ctx);

}  // namespace cardctl::cli
