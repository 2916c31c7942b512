// Layer 9: the holder's PUK unblock (`cardctl unblock --puc`, cardctl-unblock(1)): the escrowed or known PUK resets
// the PIN; when an installation is at hand and holds the card, the PUK use is recorded and a PUK the policy counts
// as disclosed is replaced at once (puk_rotation.hpp).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cardctl/inventory.hpp"
#include "cardctl/piv.hpp"
#include "cardctl/policy.hpp"
#include "cardctl/site.hpp"

namespace cardctl::lifecycle {

/// What is read before the PUK and the new PIN are asked: the card, its record (when `site` holds it), the PIN
/// rules (its template's, else `default_rules`) and the PUK's tries, spending none.
struct PukUnblockPlan {
  std::string card_id;
  std::optional<store::CardRecord> card;
  policy::PinRules pin_rules;
  piv::RetryInfo tries;
};
PukUnblockPlan plan_puk_unblock(piv::PivSession& session, Site* site, const policy::PinRules& default_rules);

struct PukUnblockResult {
  std::string card_id;
  bool recorded = false;      // the PUK use is in the installation's trail
  bool puk_rotated = false;   // the disclosed PUK was replaced
  std::vector<std::string> warnings;  // the PIN is unblocked, but something after it was not done
};

/// The last-try rule (check_last_try on plan.tries), the new PIN against plan.pin_rules, RESET RETRY COUNTER
/// with the PUK; then, with the card's record, record_puk_use and, when due, rotate_puk. A rotation that fails
/// (other than a removed card) becomes warnings: the PIN is unblocked all the same. A wrong PUK is
/// Error(wrong_pin) with the tries left.
PukUnblockResult unblock_with_puk(piv::PivSession& session, Site* site, const PukUnblockPlan& plan, const Puk& puk,
                                  const Pin& new_pin, const std::string& operator_name, bool force);

}  // namespace cardctl::lifecycle
