// `cardctl pin verify` and `cardctl pin change`: the holder checks or changes the card's PIN (like `ykman piv
// access`). The tries left are shown first, and the last one is spent only with --force (access.hpp).
#pragma once

#include <optional>
#include <string>

#include "context.hpp"

namespace cardctl::cli {

struct PinVerifyOptions {
  SecretRequest pin{"PIN", "--pin-file", std::nullopt, "CARDCTL_PIN", false};
  bool force = false;  // may spend the last try
};

struct PinChangeOptions {
  SecretRequest pin{"current PIN", "--pin-file", std::nullopt, "CARDCTL_PIN", false};
  SecretRequest new_pin{"new PIN", "--new-pin-file", std::nullopt, "CARDCTL_NEW_PIN", true};
  bool force = false;
};

/// `pin` and its subcommands `verify` and `change`.
void setup_pin(CLI::App& app, Context& ctx);
void run_pin_verify(const PinVerifyOptions& options, Context& ctx);
void run_pin_change(const PinChangeOptions& options, Context& ctx);

}  // namespace cardctl::cli
