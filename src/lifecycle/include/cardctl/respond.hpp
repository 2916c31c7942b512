// Layer 9: the helpdesk side of offline unblock (docs/architecture.md#offline-unblock): check the card, the policy and
// the caller, then turn the challenge into a response, audited whatever the outcome.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "cardctl/codes.hpp"
#include "cardctl/site.hpp"

namespace cardctl::lifecycle {

struct RespondResult;

struct RespondRequest {
  std::string card_id;
  std::string challenge;  // as the caller read it out, with its check unless no_check
  std::string operator_name;
  /// For a card that is not in the inventory (only when the policy allows unknown cards).
  std::optional<crypto::AdminAlgorithm> algorithm;
  std::optional<std::uint32_t> key_version;
  /// Asks the operator for the caller's answer to a security question; returns what the operator typed.
  std::function<SecureString(const policy::Question&)> ask;
  /// Shows the response to the operator; throws Error when it could not be written (then the response is
  /// recorded as undelivered and not counted). Without it, the response is only returned.
  std::function<void(const RespondResult&)> deliver;
  crypto::RandomSource random = crypto::system_random();
  bool no_check = false;  // the challenge was shown without a check (--no-check): never inferred from its length
  /// `cardctl puc show`: the card's escrowed PUK is disclosed instead of a response (no challenge), after the same
  /// checks, against the same limit, audited as action "puc".
  bool disclose_puk = false;
};

struct RespondResult {
  std::string card_id;
  std::string holder_id;
  std::string holder_name;  // so that the operator can confirm who is calling
  crypto::AdminAlgorithm algorithm;
  std::uint32_t key_version = 0;
  codes::Formatted response;
  int unblocks_left_in_period = 0;
  std::optional<Puk> puk;    // disclose_puk: the PUK
  int rejected_reports = 0;  // times the card was reported to reject a correct response (report_rejected_response)
  bool repeated = false;     // the same challenge was answered before in the period: not counted again
};

/// Error(policy) for every refusal (unknown/revoked card, offline unblock disabled or expired for the card's
/// age, limit reached, caller not identified, holder locked out) with the rule named and the in-person path in the hint; refusals are audited.
/// The limit, the lockout and their records are read and written in one inventory transaction each, from the
/// verified audit trail, so that parallel operators cannot exceed them. The questions asked are recorded before
/// they are asked (an abandoned identification counts as failed). A challenge answered again in the period (the
/// caller misheard) is not counted again, nor refused by the limit. Audit entries: identify started/ok/failed,
/// respond reserved (counted), then ok (given) or undelivered.
RespondResult respond(Site& site, const RespondRequest& request);

/// The holder reports that the card rejected a response that was read out correctly: the card's admin key may
/// no longer be the one the inventory holds (re-keyed with a response's admin session). Audited; later
/// responses for the card carry the count. Error(not_found) for a card not in the inventory. Returns the count.
int report_rejected_response(Site& site, const std::string& card_id, const std::string& operator_name);

}  // namespace cardctl::lifecycle
