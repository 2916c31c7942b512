#include "cardctl/ledger.hpp"

namespace cardctl::lifecycle {

namespace w = audit_words;

int Ledger::responses(const std::string& card_id, const std::string& since) const {
  int n = 0;
  for (const auto& e : entries_) {
    if (e.card_id != card_id || (e.action != w::respond && e.action != w::puc) || e.time < since) continue;
    if (e.outcome == w::reserved) ++n;
    else if (e.outcome == w::undelivered) --n;
    else if (e.outcome == "ok" && e.detail(w::session).empty()) ++n;  // written before reservations existed
  }
  return n < 0 ? 0 : n;
}

int Ledger::identification_failures(const std::string& holder_id, const std::string& since) const {
  int n = 0;
  for (const auto& e : entries_) {
    if (e.holder_id != holder_id || e.time < since) continue;
    bool legacy = e.detail(w::session).empty();
    if (e.action == w::identify && (e.outcome == "ok" || e.outcome == w::cleared)) n = 0;
    else if (e.action == w::identify && e.outcome == w::started) ++n;
    else if (legacy && e.action == w::respond && e.outcome == "ok") n = 0;
    else if (legacy && e.action == w::respond && e.outcome == "refused" && e.reason == "caller not identified") ++n;
  }
  return n;
}

int Ledger::rejected_reports(const std::string& card_id) const {
  int n = 0;
  for (const auto& e : entries_) {
    if (e.card_id != card_id) continue;
    if (e.action == "issue" && e.outcome == "ok") n = 0;
    if (e.action == w::respond && e.outcome == w::rejected_by_card) ++n;
  }
  return n;
}

std::map<std::string, store::CardState> Ledger::card_states() const {
  std::map<std::string, store::CardState> out;
  for (const auto& e : entries_) {
    if (e.outcome != "ok" || e.card_id.empty()) continue;
    if (e.action == "issue") out[e.card_id] = store::CardState::active;
    else if (e.action == "revoke") out[e.card_id] = store::CardState::revoked;
    else if (e.action == "retire") out[e.card_id] = store::CardState::retired;
  }
  return out;
}

}  // namespace cardctl::lifecycle
