#include "access.hpp"

#include <algorithm>
#include <fmt/format.h>

#include "cardctl/policy.hpp"

namespace cardctl::cli {

namespace {

constexpr int kMinLength = 6;  // SP 800-73-4 Part 2 §2.4.3: 6 to 8 bytes, padded with FF to 8
constexpr int kMaxLength = 8;

std::string tries(int n) { return fmt::format("{} {}", n, n == 1 ? "try" : "tries"); }

}  // namespace

piv::RetryInfo read_tries(piv::PivSession& session, Reference r) {
  return r == Reference::pin ? with_context("reading the PIN retry counter", [&] { return session.pin_retries(); })
                             : with_context("reading the PUK retry counter", [&] { return session.puk_retries(); });
}

std::string tries_text(const piv::RetryInfo& t) {
  if (t.remaining < 0) return "tries left unknown";
  if (t.remaining == 0) return "blocked";
  if (t.total) return fmt::format("{} of {} left", t.remaining, tries(*t.total));
  return tries(t.remaining) + " left";
}

Json tries_json(const piv::RetryInfo& t) {
  return Json::object().set("remaining", t.remaining >= 0 ? Json(t.remaining) : Json()).set("total", t.total);
}

piv::RetryInfo tries_before_try(const Context& ctx, piv::PivSession& session, const std::optional<std::string>& card_id,
                                Reference r, bool force) {
  auto t = read_tries(session, r);
  tries_before_try(ctx, t, card_id, r, force);
  return t;
}

void tries_before_try(const Context& ctx, const piv::RetryInfo& t, const std::optional<std::string>& card_id,
                      Reference r, bool force) {
  std::string card = card_id ? "card " + *card_id + ": " : std::string();
  std::string unknown = r == Reference::puk ? " (the card cannot tell without spending one)" : "";
  ctx.note(card + reference_name(r) + " " + tries_text(t) + (t.remaining < 0 ? unknown : ""));
  lifecycle::check_last_try(t, r, force);
  if (force && t.remaining == 1) ctx.warn(fmt::format("--force: a wrong {} now blocks it", reference_name(r)));
  if (force && t.remaining < 0 && r == Reference::puk)
    ctx.warn("--force: trying the PUK without knowing how many tries it has left");
}

std::string wrong_try_hint(Reference r, int left) {
  const char* what = reference_name(r);
  const char* for_good = r == Reference::pin ? "" : " for good";
  if (left == 1)
    return fmt::format("one more wrong {} blocks it{}: make sure of it; the next try needs --force", what, for_good);
  if (left > 1)
    return fmt::format("make sure of the {} before trying again: {} more wrong ones block it{}", what, left, for_good);
  return fmt::format("make sure of the {} before trying again: cardctl status shows the tries left", what);
}

void check_new_value(Reference r, std::string_view current, std::string_view replacement) {
  const char* what = reference_name(r);
  try {
    if (r == Reference::pin) {
      // The length rule only (and printable ASCII): the template's other rules are the helpdesk's.
      policy::PinRules length_only{.min_length = kMinLength, .max_length = kMaxLength, .digits_only = false,
                                   .reject_trivial = false};
      policy::check_new_pin(length_only, Pin::from_text(replacement));
    } else {
      auto n = static_cast<int>(replacement.size());
      if (n < kMinLength || n > kMaxLength)
        throw Error(ErrorKind::usage, fmt::format("the new PUK must have {} to {} characters", kMinLength, kMaxLength));
      if (!std::all_of(replacement.begin(), replacement.end(), [](char c) { return c >= 0x20 && c < 0x7f; }))
        throw Error(ErrorKind::usage, "the new PUK may only contain printable ASCII characters");
    }
    if (current == replacement)
      throw Error(ErrorKind::usage, fmt::format("the new {} is the same as the current one", what));
  } catch (const Error& e) {
    if (!e.hint().empty()) throw;
    throw Error(e).with_hint(fmt::format("nothing was sent to the card: run again with another new {}", what));
  }
}

std::optional<std::string> card_id_if_any(piv::PivSession& session) {
  try {
    return session.card_id();
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::not_found) throw;
    return std::nullopt;
  }
}

}  // namespace cardctl::cli
