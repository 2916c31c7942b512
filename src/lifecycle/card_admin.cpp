#include "cardctl/card_admin.hpp"


#include "cardctl/error.hpp"
#include "cardctl/ledger.hpp"
#include "reason.hpp"

namespace cardctl::lifecycle {

namespace {
const char* kListHint = "cardctl list shows the cards in the inventory";

Error not_in_inventory(const std::string& card_id) {
  return Error(ErrorKind::not_found, "card " + card_id + " is not in the inventory", kListHint);
}

// The reason as it goes into the trail: trimmed, never blank, one line of printable text.
}  // namespace

std::vector<store::CardRecord> find_cards(Site& site, const CardFilter& filter) {
  std::vector<store::CardRecord> out;
  for (auto& c : site.inventory.list_cards(filter.state)) {
    if (!filter.holder_id.empty() && c.holder_id != filter.holder_id) continue;
    if (!filter.template_name.empty() && c.template_name != filter.template_name) continue;
    out.push_back(std::move(c));
  }
  return out;
}

CardDetails show_card(Site& site, const std::string& card_id) {
  auto card = site.inventory.find_card(card_id);
  if (!card) throw not_in_inventory(card_id);
  const auto& rules = site.policy.helpdesk;
  CardDetails d;
  d.card = *card;
  if (!card->holder_id.empty()) d.holder = site.inventory.find_holder(card->holder_id);
  d.unblocks_allowed = rules.unblocks_per_period;
  d.period_days = rules.period_days;
  auto trail = site.verified_audit();
  // The same period and the same count as respond uses to enforce the limit.
  const std::string period_start = site.helpdesk_period_start();
  Ledger ledger(trail);
  d.unblocks_used = ledger.responses(card_id, period_start);
  d.puk_rotation_due = rules.rotate_disclosed_puk && ledger.puk_rotation_due(card_id);
  d.certificates = site.inventory.certificates(card_id);
  if (card->state == store::CardState::pending) d.issuance_step = site.inventory.issuance_step(card_id);
  for (auto& e : trail)
    if (e.card_id == card_id) d.history.push_back(std::move(e));
  return d;
}

void revoke_card(Site& site, const std::string& card_id, const std::string& reason, const std::string& operator_name) {
  const std::string why = checked_reason(reason, "a revocation needs a reason",
                                         "say why, for the audit trail: --reason 'lost' (or 'stolen', 'left the company', ...)");
  try {
    // The state is read, changed and audited in one transaction: two operators revoking the same card queue,
    // and the second finds it revoked.
    site.inventory.with_transaction([&] {
      auto card = site.inventory.find_card(card_id);
      if (!card) throw not_in_inventory(card_id);
      switch (card->state) {
        case store::CardState::pending:
          throw Error(ErrorKind::policy, "card " + card_id + " was never finished; retire it instead (cardctl retire " +
                                             card_id + ")",
                      "a pending card's issue stopped before the card was activated: it was never handed out");
        case store::CardState::revoked:
        case store::CardState::retired:
          throw Error(ErrorKind::policy, "card " + card_id + " is already " + store::to_string(card->state),
                      "nothing to do; cardctl show " + card_id + " shows its history");
        case store::CardState::active:
          break;
      }
      site.inventory.set_card_state(card_id, store::CardState::revoked);
      site.audit({"", operator_name, "revoke", card_id, card->holder_id, "ok", "", {{"reason", why}}});
    });
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::conflict) throw;
    throw Error(ErrorKind::conflict, "another operator is changing card " + card_id + " (the inventory stayed locked)",
                "try again in a moment; nothing was changed");
  }
}

}  // namespace cardctl::lifecycle
