// Layer 9: offline PIN unblock by challenge-response (docs/architecture.md#offline-unblock). Card side (challenge,
// finish) and helpdesk side (compute the response). No terminal I/O.
#pragma once

#include <cstdint>
#include <string>

#include "cardctl/codes.hpp"
#include "cardctl/crypto.hpp"
#include "cardctl/piv.hpp"
#include "cardctl/secret.hpp"

namespace cardctl::lifecycle {

struct PendingChallenge {
  std::string card_id;
  crypto::AdminAlgorithm algorithm = crypto::AdminAlgorithm::tdes;
  Bytes challenge;
  piv::RetryInfo pin;  // the PIN counter before the unblock (0 = blocked)
  codes::Formatted code() const { return codes::format(card_id, challenge); }
};

/// Step 1: identifies the card, reads its admin-key algorithm and PIN counter, and asks for a challenge.
/// The session must stay open (same transaction, no re-SELECT) until finish_offline_unblock.
PendingChallenge begin_offline_unblock(piv::PivSession& session);

/// Reads what unblock --response needs from a card left by challenge --detach, without SELECT and without
/// disturbing the pending challenge: the card id and the admin-key algorithm.
PendingChallenge resume_offline_unblock(piv::PivSession& session);

/// Steps 3-4: proves the response, then sets the new PIN with RESET RETRY COUNTER P1=02. Errors:
/// auth_failed "wrong response" (the card's state is unchanged apart from the spent challenge), auth_failed
/// "no pending challenge" (start again), unsupported (card has no admin PIN reset: use the PUK).
/// response_checked: the response was typed with its check and the check matched, so it is the helpdesk's
/// response as computed; a rejection then means another challenge or a re-keyed card, and says so.
void finish_offline_unblock(piv::PivSession& session, const PendingChallenge& pending, ByteView response,
                            const Pin& new_pin, bool response_checked = true);

/// Helpdesk side: response = E(K_card, challenge), K_card derived per docs/architecture.md#key-derivation.
Bytes compute_response(const MasterKey& master, crypto::AdminAlgorithm algorithm, std::string_view card_id,
                       std::uint32_t key_version, ByteView challenge);
/// The same with the master key's PRF (lifecycle::Site::master_prf: a key in the keystore or in a PKCS#11 token).
Bytes compute_response(const crypto::Prf& master_prf, crypto::AdminAlgorithm algorithm, std::string_view card_id,
                       std::uint32_t key_version, ByteView challenge);

/// The parse of a code typed by a person for this card and algorithm (codes::parse): exact length, the check
/// required and verified unless no_check (the user said the code was shown without one), suggestions on a
/// mismatch.
Bytes parse_code(std::string_view typed, std::string_view card_id, crypto::AdminAlgorithm algorithm,
                 const char* what, bool no_check = false);

}  // namespace cardctl::lifecycle
