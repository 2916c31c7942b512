#include "cardctl/tries.hpp"

#include "cardctl/error.hpp"

namespace cardctl::lifecycle {

namespace {
[[noreturn]] void refuse(ErrorKind kind, const std::string& message, const std::string& hint,
                         std::string default_message, std::string default_hint) {
  throw Error(kind, message.empty() ? std::move(default_message) : message,
              hint.empty() ? std::move(default_hint) : hint);
}
}  // namespace

const char* reference_name(Reference r) { return r == Reference::pin ? "PIN" : "PUK"; }

void check_last_try(const piv::RetryInfo& t, Reference r, bool force, int at_risk, const TryRefusals& words) {
  const std::string what = reference_name(r);
  if (t.remaining == 0)
    refuse(ErrorKind::blocked, words.blocked, words.blocked_hint, "the " + what + " is blocked",
           r == Reference::pin ? "unblock it with the helpdesk: cardctl unblock; or with its PUK: cardctl unblock --puc"
                               : "a PUK cannot be unblocked: the helpdesk must reset the card and issue it again");
  if (force) return;
  if (t.remaining < 0) {
    if (r == Reference::puk)
      refuse(ErrorKind::policy, words.unknown, words.unknown_hint,
             "the card cannot tell how many tries the PUK has left (it has no PIN/PUK metadata)",
             "a wrong PUK spends a try and a blocked PUK cannot be unblocked: make sure of the PUK, then run again "
             "with --force");
    return;
  }
  if (t.remaining <= at_risk)
    refuse(ErrorKind::policy, words.few_left, words.few_left_hint,
           "the " + what + " has " + std::to_string(t.remaining) + (t.remaining == 1 ? " try" : " tries") +
               " left; a wrong " + what + " now blocks it",
           "make sure of the " + what + ", then run again with --force");
}

}  // namespace cardctl::lifecycle
