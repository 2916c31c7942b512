// Layer 9: the last-try rule (docs/architecture.md#tries-and-irreversible-steps), in one place for every use case
// that may spend a PIN or PUK try: a blocked reference is refused with what to do, and a try that may block it (or
// a PUK try whose counter the card cannot tell) is spent only with force.
#pragma once

#include <string>

#include "cardctl/piv.hpp"

namespace cardctl::lifecycle {

/// The two references the holder knows (SP 800-73-4 Part 1 §3.5: the PIV Card Application PIN and the PUK).
enum class Reference { pin, puk };

/// "PIN" or "PUK".
const char* reference_name(Reference r);

/// What the refusals say in one use case; an empty field keeps the wording of the holder's own try
/// (`cardctl pin`, `cardctl puk`, `cardctl unblock --puc`).
struct TryRefusals {
  std::string blocked, blocked_hint;    // no try left
  std::string few_left, few_left_hint;  // no more tries left than the step may spend
  std::string unknown, unknown_hint;    // a PUK whose counter the card cannot tell
};

/// Before anything that could spend a try is sent. Error(blocked) when no try is left (force or not); without
/// force, Error(policy) when no more than `at_risk` tries are left (the wrong tries the step may spend: 1 for a
/// single try), and for the PUK when the card cannot tell how many are left (a blocked PUK cannot be unblocked).
/// A PIN whose count is unknown has just been verified in this session (the empty VERIFY answered 9000), so its
/// counter is full: it is not refused.
void check_last_try(const piv::RetryInfo& tries, Reference r, bool force, int at_risk = 1,
                    const TryRefusals& words = {});

}  // namespace cardctl::lifecycle
