#include "cardctl/ledger.hpp"

#include <algorithm>

#include "cardctl/policy.hpp"

#include <set>

namespace cardctl::lifecycle {

namespace w = audit_words;

namespace {
// The counted responses of a card since `since`: session -> challenge digest ("" for a PUK disclosure or an entry
// written before digests were recorded), and the number of responses without a session (older entries).
struct Counted {
  std::map<std::string, std::string> sessions;
  int legacy = 0;
  bool has_challenge(const std::string& digest) const {
    for (const auto& [session, d] : sessions)
      if (d == digest) return true;
    return false;
  }
  int count() const {
    std::set<std::string> digests;
    int n = legacy;
    for (const auto& [session, d] : sessions)
      if (d.empty() || digests.insert(d).second) ++n;
    return n;
  }
};

Counted counted(const std::vector<store::AuditEntry>& entries, const std::string& card_id, const std::string& since) {
  Counted c;
  for (const auto& e : entries) {
    if (e.card_id != card_id || (e.action != w::respond && e.action != w::puc) || e.time < since) continue;
    const std::string session = e.detail(w::session);
    if (e.outcome == w::reserved) {
      c.sessions[session] = e.detail(w::challenge);
    } else if (e.outcome == w::undelivered) {
      c.sessions.erase(session);
    } else if (e.outcome == "ok" && session.empty()) {
      ++c.legacy;  // written before reservations existed
    }
  }
  return c;
}
}  // namespace

int Ledger::responses(const std::string& card_id, const std::string& since) const {
  return counted(entries_, card_id, since).count();
}

bool Ledger::challenge_counted(const std::string& card_id, const std::string& digest, const std::string& since) const {
  return !digest.empty() && counted(entries_, card_id, since).has_challenge(digest);
}

bool Ledger::puk_rotation_due(const std::string& card_id) const {
  bool due = false;
  for (const auto& e : entries_) {
    if (e.card_id != card_id) continue;
    if ((e.action == "issue" && e.outcome == "ok") || (e.action == w::puc && e.outcome == w::rotated)) due = false;
    else if (e.action == w::puc && (e.outcome == w::disclosed || e.outcome == w::used)) due = true;
  }
  return due;
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

std::vector<std::string> known_audit_actions() {
  std::vector<std::string> actions = {"init",     "import-master", "rotate",     "operator",     "keystore",
                                      "holder",   audit_words::identify, audit_words::respond, audit_words::puc,
                                      "issue",    "revoke",        "retire",     "policy",       "so-token",
                                      "so-unblock", "unblock",     "audit-verify", "site-migrate"};
  for (const auto& c : policy::role_commands())
    if (std::find(actions.begin(), actions.end(), c) == actions.end()) actions.push_back(c);
  return actions;
}

}  // namespace cardctl::lifecycle
