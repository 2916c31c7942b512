// Layer 9: the operator-present unblock (cardctl-unblock(1), IN PERSON): the holder brings the card to the
// helpdesk, the operator checks an identity document (or knows the holder) and states what was checked, and the
// card is unblocked with its admin key directly — no challenge read over the phone, no security questions.
#pragma once

#include <string>

#include "cardctl/piv.hpp"
#include "cardctl/site.hpp"

namespace cardctl::lifecycle {

struct InPersonRequest {
  std::string operator_name;
  std::string id_check;  // what the operator checked: "passport X1234567", "known personally"
  bool force = false;    // a card without admin PIN reset: allow spending the escrowed PUK's last try
};

struct InPersonPlan {
  std::string card_id;
  std::string holder_id;
  std::string holder_name;
  std::string method;       // "admin-key" (RESET RETRY COUNTER P1=02) or "puk" (the escrowed PUK, not disclosed)
  bool over_limit = false;  // the period's offline-unblock limit is used up (allowed by the policy)
  policy::PinRules pin_rules;
};

/// The checks, reading the card but changing nothing (for --dry-run, and before the new PIN is asked): the card
/// is in the inventory and active, the ID check is stated (Error(usage) when blank or with control characters),
/// and, when the offline-unblock limit is used up, the policy allows in-person unblock over it. Refusals are
/// Error(policy) (audited), with what to do.
InPersonPlan plan_in_person(Site& site, piv::PivSession& session, const InPersonRequest& request);

/// Unblocks: authenticates with the card's admin key (derived or fixed, as the inventory records), then sets the new
/// PIN with RESET RETRY COUNTER P1=02, or, for a template without admin PIN reset, with the escrowed PUK (its tries
/// read first; the last one only with force). The new PIN is checked against the template's rules first. Audited as
/// unblock in-person with the ID check; not counted against the offline-unblock limit.
InPersonPlan unblock_in_person(Site& site, piv::PivSession& session, const InPersonRequest& request, const Pin& new_pin);

}  // namespace cardctl::lifecycle
