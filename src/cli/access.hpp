// Layer 10: what the holder's own PIN and PUK commands share (`cardctl pin`, `cardctl puk`; like `ykman piv
// access`): the tries left, read and shown before a try is spent, then the last-try rule
// (docs/architecture.md#tries-and-irreversible-steps; lifecycle::check_last_try, tries.hpp); the hint after a wrong
// try; the check of a new PIN or PUK before it is sent.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "cardctl/error.hpp"
#include "cardctl/piv.hpp"
#include "cardctl/tries.hpp"
#include "context.hpp"
#include "json.hpp"

namespace cardctl::cli {

using lifecycle::Reference;
using lifecycle::reference_name;

/// The reference's counter, spending no try: the PIN from GET METADATA or the empty VERIFY (SP 800-73-4 Part 2
/// §3.2.1), the PUK from GET METADATA only (remaining -1 when the card cannot tell).
piv::RetryInfo read_tries(piv::PivSession& session, Reference r);

/// "3 of 3 tries left", "2 tries left", "blocked", "tries left unknown".
std::string tries_text(const piv::RetryInfo& tries);
/// {"remaining": N or null, "total": N or null}.
Json tries_json(const piv::RetryInfo& tries);

/// Before a try: reads the tries left, shows them on stderr ("card 12345678: PIN 3 of 3 tries left", a warning
/// when --force spends the last one) and applies lifecycle::check_last_try. Returns what was read.
piv::RetryInfo tries_before_try(const Context& ctx, piv::PivSession& session, const std::optional<std::string>& card_id,
                                Reference r, bool force);
/// The same with tries already read (lifecycle::plan_puk_unblock): shows them and applies the rule.
void tries_before_try(const Context& ctx, const piv::RetryInfo& tries, const std::optional<std::string>& card_id,
                      Reference r, bool force);

/// The hint for a wrong try with `left` tries left (-1: unknown): what the next wrong one does.
std::string wrong_try_hint(Reference r, int left);

/// Runs f, which sends the reference to the card; a wrong PIN or PUK gains wrong_try_hint (the message already
/// says how many tries are left).
template <class F>
auto spend_try(Reference r, F&& f) -> decltype(f()) {
  try {
    return std::forward<F>(f)();
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::wrong_pin || !e.hint().empty()) throw;
    throw Error(e).with_hint(wrong_try_hint(r, e.retries().value_or(-1)));
  }
}

/// A new PIN or PUK the holder chose, checked before anything is sent: 6 to 8 printable ASCII characters
/// (the card's limit, SP 800-73-4 Part 2 §2.4.3; the policy's other rules belong to the helpdesk, whose policy the
/// holder may not have) and not the current value. Error(usage) naming the rule; never echoes either value.
void check_new_value(Reference r, std::string_view current, std::string_view replacement);

/// The card id (serial, else CHUID GUID; docs/architecture.md#card-id), or nullopt when the card has neither.
std::optional<std::string> card_id_if_any(piv::PivSession& session);

}  // namespace cardctl::cli
