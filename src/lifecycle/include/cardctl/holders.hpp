// Layer 9: the helpdesk's work on holder records (cardctl-holder(1)): what the inventory and the trail say of a
// holder, re-enrolling the security answers, and clearing an identification lockout, each audited.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "cardctl/site.hpp"

namespace cardctl::lifecycle {

struct HolderDetails {
  store::Holder holder;
  std::vector<store::CardRecord> cards;
  std::vector<std::string> enrolled_questions;
  int identification_failures = 0;  // in the current period, since the last success or clearing
  int lockout_after = 0;            // the policy's helpdesk.lockout_after_failures
  bool locked_out() const { return identification_failures >= lockout_after; }
};

/// Error(usage) for an unknown or repeated question id; Error(policy) for fewer answers than the policy's
/// questions_enrolled (none at all is accepted when optional).
void check_answers(const policy::HelpdeskRules& rules, const std::vector<std::pair<std::string, SecureString>>& answers,
                   bool optional);

/// Error(not_found) with a hint for a holder not in the inventory.
HolderDetails show_holder(Site& site, const std::string& holder_id);
/// Replaces the holder's answers (as many as the policy's questions_enrolled, ids from its questions), audited as
/// "holder answers-enrolled" with the question ids.
void enrol_holder_answers(Site& site, const std::string& operator_name, const std::string& holder_id,
                          const std::vector<std::pair<std::string, SecureString>>& answers);
/// Lifts an identification lockout: audited as "identify cleared" with the reason (required), after which the
/// failures count from zero. Error(policy) when the holder has no failed identification to clear.
void clear_lockout(Site& site, const std::string& operator_name, const std::string& holder_id, const std::string& reason);

}  // namespace cardctl::lifecycle
