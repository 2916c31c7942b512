// Layer 9: what the verified audit trail says about cards and holders (cardctl-audit(1); cardctl(1), SECURITY). The
// offline-unblock count and the identification failures that the helpdesk's limits rely on are computed from the trail,
// whose every entry is chained and authenticated, instead of from inventory rows that could be deleted unnoticed.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "cardctl/audit.hpp"
#include "cardctl/inventory.hpp"

namespace cardctl::lifecycle {

/// Audit vocabulary of the offline unblock (cardctl-audit(1)).
namespace audit_words {
inline constexpr const char* identify = "identify";  // outcomes: started, ok, failed
inline constexpr const char* respond = "respond";    // outcomes: reserved, ok (given), undelivered, refused
inline constexpr const char* puc = "puc";            // a PUK disclosed by the helpdesk: the same outcomes, the same limit
inline constexpr const char* started = "started";
inline constexpr const char* cleared = "cleared";  // identify cleared: a lockout lifted by the helpdesk
inline constexpr const char* reserved = "reserved";
inline constexpr const char* undelivered = "undelivered";
inline constexpr const char* exported = "exported";  // puc exported: a PUK delivered at issuance, not counted
inline constexpr const char* rejected_by_card = "rejected-by-card";  // reported by the holder (re-keyed card?)
inline constexpr const char* session = "session";
inline constexpr const char* challenge = "challenge";  // detail: a digest of the challenge answered (not secret)
inline constexpr const char* disclosed = "disclosed";  // puc: the helpdesk read the PUK out
inline constexpr const char* used = "used";            // puc: the PUK unblocked the card through cardctl
inline constexpr const char* rotated = "rotated";      // puc: the card got a new escrowed PUK
inline constexpr const char* in_person = "in-person";  // unblock: at the helpdesk, ID checked by the operator
}  // namespace audit_words

/// Every action the trail records (cardctl-audit(1) lists them): the lifecycle's own, and each role command,
/// under which a refusal by role is recorded.
std::vector<std::string> known_audit_actions();

class Ledger {
 public:
  explicit Ledger(std::vector<store::AuditEntry> entries) : entries_(std::move(entries)) {}

  /// Responses (and PUK disclosures) counted against the card's limit since `since`: every reserved one that was
  /// not recorded as undelivered (a response whose delivery was interrupted counts: it may have been read out).
  /// A challenge answered again (the caller misheard the response) counts once.
  int responses(const std::string& card_id, const std::string& since) const;
  /// Whether a response to this challenge (its digest, as recorded) is already counted since `since`.
  bool challenge_counted(const std::string& card_id, const std::string& digest, const std::string& since) const;
  /// The card's PUK was disclosed by the helpdesk or used through cardctl since it was last issued or rotated.
  bool puk_rotation_due(const std::string& card_id) const;
  /// Identifications of the holder since `since` that failed or never finished (an abandoned identification
  /// counts as failed, so that hanging up cannot re-roll the questions), after the last successful one or the
  /// last lockout cleared by the helpdesk.
  int identification_failures(const std::string& holder_id, const std::string& since) const;
  /// Reports that the card rejected a correctly read response, since it was last issued.
  int rejected_reports(const std::string& card_id) const;
  /// The lifecycle state of each card that the trail records as issued, revoked or retired.
  std::map<std::string, store::CardState> card_states() const;

 private:
  std::vector<store::AuditEntry> entries_;
};

}  // namespace cardctl::lifecycle
