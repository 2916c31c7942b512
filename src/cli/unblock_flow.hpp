// Layer 10: the holder's side of offline unblock, shared by `cardctl challenge` and `cardctl unblock`
// (docs/architecture.md#offline-unblock): show the challenge, read the response and the new PIN, finish in the
// same card session.
#pragma once

#include <optional>
#include <string>

#include "cardctl/offline_unblock.hpp"
#include "cardctl/policy.hpp"
#include "context.hpp"

namespace cardctl::cli {

struct UnblockInputs {
  SecretRequest response{"response code", "--response-file", std::nullopt, "CARDCTL_RESPONSE", false};
  SecretRequest new_pin{"new PIN", "--pin-file", std::nullopt, "CARDCTL_NEW_PIN", true};
  std::string policy_file;    // optional: PIN rules from this policy's template
  std::string template_name;
  bool no_check = false;  // --no-check: the response was shown without a check
};

void add_unblock_inputs(CLI::App& app, UnblockInputs& inputs);
/// The PIN rules the new PIN must follow: the named template's, else the PIV defaults.
policy::PinRules pin_rules(const UnblockInputs& inputs);
/// Prints the card id and the challenge (text or JSON) on stdout.
/// The card id and challenge for the holder to read out. With --json and detached, they are the command's
/// document; with --json and a response still to come, they go to stderr as text, since the one document
/// on stdout is the outcome.
void print_challenge(Context& ctx, const lifecycle::PendingChallenge& pending, bool detached);
/// Reads the response (or uses `typed`) and the new PIN, checks both, and finishes the unblock.
void finish_unblock(Context& ctx, piv::PivSession& session, const lifecycle::PendingChallenge& pending,
                    const UnblockInputs& inputs, std::optional<std::string> typed);
/// "the PIN is blocked"/"n tries left" note before the unblock.
void print_result(const Context& ctx, const lifecycle::PendingChallenge& pending);

}  // namespace cardctl::cli
