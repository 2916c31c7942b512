#include "cardctl/puk_rotation.hpp"

#include "cardctl/error.hpp"
#include "cardctl/ledger.hpp"
#include "cardctl/tries.hpp"

namespace cardctl::lifecycle {

namespace {
namespace w = audit_words;

std::string tries_word(int n) { return std::to_string(n) + (n == 1 ? " try" : " tries"); }

// Before the first PUK try: a rotation spends none when the escrow is right, but finishing one that was cut off
// may spend one wrong try before the right one restores the counter.
void check_tries(const piv::RetryInfo& tries, int needed, bool force) {
  check_last_try(tries, Reference::puk, force, needed - 1,
                 {.blocked = "the PUK is blocked",
                  .blocked_hint = "a blocked PUK cannot be replaced: retire the card and issue it again (cardctl "
                                  "retire, cardctl issue)",
                  .few_left = "the PUK has " + tries_word(tries.remaining) + " left; this rotation may need " +
                              tries_word(needed),
                  .few_left_hint = "unblock the PIN with the PUK first (a right PUK restores the counter), or run "
                                   "again with --force",
                  .unknown = "the card cannot tell how many tries its PUK has left",
                  .unknown_hint = "a rotation may spend a try if the escrow is out of date: run again with --force "
                                  "to go ahead"});
}

Puk fresh_puk(const policy::PukRules& rules, const Puk& old) {
  for (;;) {
    Puk candidate = policy::generate_puk(rules, crypto::system_random());
    if (candidate.text() != old.text()) return candidate;
  }
}
}  // namespace

PukRotationResult rotate_puk(Site& site, piv::PivSession& session, const std::string& operator_name, bool force) {
  const std::string card_id = session.card_id();
  auto card = site.inventory.find_card(card_id);
  if (!card)
    throw Error(ErrorKind::not_found, "card " + card_id + " is not in the inventory",
                "only cards issued by this installation have an escrowed PUK to rotate");
  if (card->state != store::CardState::active)
    throw Error(ErrorKind::policy, "card " + card_id + " is " + store::to_string(card->state) + ": its PUK is not rotated",
                "only active cards are; a pending card is finished with cardctl issue");
  const auto& tpl = site.policy.card_template(card->template_name);
  const ByteView escrow = site.keystore.escrow_key();
  auto next = site.inventory.load_next_puk(card_id, escrow);
  const bool resumed = next.has_value();
  check_tries(with_context("reading the PUK retry counter", [&] { return session.puk_retries(); }), resumed ? 3 : 2,
              force);
  Puk old = site.inventory.load_puk(card_id, escrow);
  if (!next) {
    next = fresh_puk(tpl.puk, old);
    site.inventory.store_next_puk(card_id, *next, escrow);
  }
  auto failed = [&](const std::string& why) {
    site.audit({"", operator_name, w::puc, card_id, card->holder_id, "failed", why, {}});
  };
  try {
    try {
      session.change_puk(old, *next);
    } catch (const Error& e) {
      // Cut off after the card took the new PUK but before the inventory recorded it: the card has `next`.
      if (e.kind() != ErrorKind::wrong_pin || !resumed) throw;
      session.change_puk(*next, *next);
    }
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::wrong_pin) throw;  // a removed card: the next PUK stays escrowed for the re-run
    site.inventory.forget_next_puk(card_id);
    failed("the card's PUK is not the escrowed one");
    throw Error(ErrorKind::wrong_pin, "card " + card_id + " did not accept its escrowed PUK: " + e.what(),
                "its holder may have changed the PUK (cardctl puk change); nothing was changed. The PUK can no "
                "longer be disclosed correctly: retire and reissue the card when convenient");
  }
  site.inventory.with_transaction([&] {
    site.inventory.commit_next_puk(card_id, escrow);
    store::AuditEntry done{"", operator_name, w::puc, card_id, card->holder_id, w::rotated, "", {}};
    if (resumed) done.details.emplace_back("resumed", "yes");
    site.audit(done);
  });
  return {card_id, card->holder_id, resumed};
}

bool record_puk_use(Site& site, const std::string& card_id, const std::string& operator_name) {
  auto card = site.inventory.find_card(card_id);
  if (!card)
    throw Error(ErrorKind::not_found, "card " + card_id + " is not in the inventory",
                "the PUK worked, but this installation does not know the card: nothing was recorded");
  site.audit({"", operator_name, w::puc, card_id, card->holder_id, w::used, "", {}});
  return puk_rotation_due(site, card_id);
}

bool puk_rotation_due(Site& site, const std::string& card_id) {
  return site.policy.helpdesk.rotate_disclosed_puk && Ledger(site.verified_audit()).puk_rotation_due(card_id);
}

}  // namespace cardctl::lifecycle
