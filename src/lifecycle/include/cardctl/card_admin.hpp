// Layer 9: the inventory's cards as the helpdesk sees them (cardctl-list(1), cardctl-show(1), cardctl-revoke(1)):
// find cards, show one card with its holder, its offline-unblock count and its history from the verified audit
// trail, and revoke a card, audited.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cardctl/audit.hpp"
#include "cardctl/inventory.hpp"
#include "cardctl/site.hpp"

namespace cardctl::lifecycle {

/// Which cards find_cards returns; an empty field matches any card.
struct CardFilter {
  std::optional<store::CardState> state;
  std::string holder_id;
  std::string template_name;
};

/// The inventory's cards that match, in the order they were issued (every row's MAC checked).
std::vector<store::CardRecord> find_cards(Site& site, const CardFilter& filter);

struct CardDetails {
  store::CardRecord card;
  std::optional<store::Holder> holder;
  int unblocks_used = 0;     // offline-unblock responses counted in the current period (as respond counts them)
  int unblocks_allowed = 0;  // the policy's helpdesk.unblocks_per_period
  int period_days = 0;       // the policy's helpdesk.period_days
  std::vector<store::AuditEntry> history;  // every verified audit entry about this card, oldest first
  std::vector<store::StoredCertificate> certificates;  // what issuance put on the card, by slot
  std::string issuance_step;  // how far a pending card got
  bool puk_rotation_due = false;  // the PUK was disclosed or used, and the policy has it replaced (cardctl puc rotate)
};

/// One card with its holder, its offline-unblock count in the current period and its history, read from the
/// verified audit trail (Error(io) when the trail is not intact). Error(not_found) for a card not in the
/// inventory.
CardDetails show_card(Site& site, const std::string& card_id);

/// Marks an active card revoked and audits it (action "revoke", outcome "ok", details {"reason": reason}), both in
/// one inventory transaction. Error(usage) when the reason is blank or holds a control character;
/// Error(not_found) for a card not in the inventory; Error(policy) for a pending card (never finished: it is
/// retired instead) and for a card that is already revoked or retired.
void revoke_card(Site& site, const std::string& card_id, const std::string& reason, const std::string& operator_name);

}  // namespace cardctl::lifecycle
