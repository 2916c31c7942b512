// Layer 9: the System Owner token (cardctl-init(1), SO TOKEN; cardctl-so-unblock(1)). A PIV card like any other
// whose card management key (9B) is a random SO unblock key, shown once as a code bound to the token's card id
// and never stored. Its PUK is random, never shown and blocked, so the one way back from a blocked PIN is the SO
// key: GENERAL AUTHENTICATE 9B with the response computed locally, then RESET RETRY COUNTER P1=02
// (SP 800-73-4 Part 2 §3.2.3, §3.2.4; ISO 7816-4 §11.5.10). No terminal I/O.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cardctl/crypto.hpp"
#include "cardctl/offline_unblock.hpp"
#include "cardctl/piv.hpp"
#include "cardctl/policy.hpp"
#include "cardctl/secret.hpp"
#include "cardctl/site.hpp"

namespace cardctl::lifecycle {

/// The rules of an SO PIN: 6 to 8 printable characters (the card's limit), no trivial pattern.
policy::PinRules so_pin_rules();

/// What a card is, read before it becomes an SO token. Sends nothing that changes the card.
struct SoTokenSurvey {
  std::string card_id;  // serial in decimal, else the GUID of the CHUID the token gets
  bool has_serial = false;
  Bytes guid;           // written as a new CHUID when the card has no serial
  std::optional<piv::Version> version;
  std::optional<bool> admin_key_default;  // nullopt: no metadata (learnt by authenticating)
  crypto::AdminAlgorithm factory_algorithm = crypto::AdminAlgorithm::tdes;  // of its current (factory) admin key
  crypto::AdminAlgorithm so_algorithm = crypto::AdminAlgorithm::tdes;       // of the SO unblock key it gets
  piv::RetryInfo pin;
  piv::RetryInfo puk;
};

/// Reads the card and refuses (Error(conflict), with what to do) one whose admin key is not the factory key (an
/// SO token already, or a card issued elsewhere) and, when site is given, one the inventory holds. A card whose
/// admin key is still the factory one is accepted whatever its PIN and PUK: an interrupted init --so-token is
/// redone. The SO key is AES-256 on cards with AES management keys (firmware 5.4 or later), else TDES.
SoTokenSurvey survey_so_token(piv::PivSession& session, Site* site);

/// A random SO unblock key of the algorithm's length (a weak TDES key, K1 = K2 or K2 = K3, is drawn again).
AdminKey generate_so_key(crypto::AdminAlgorithm algorithm, const crypto::RandomSource& random = crypto::system_random());

/// The SO unblock key as shown once: codes::format(card_id, key), groups of 4 hex and the check bound to the id.
codes::Formatted so_key_code(std::string_view card_id, const AdminKey& key);

/// A code typed by a person (any case, spaces, dashes; the 4-digit check required): the key it holds, checked
/// against card_id. algorithm: the token's, when known (GET METADATA); else taken from the number of digits
/// (64: AES-256, 48: TDES). Error(usage) for a wrong length or check, with suggestions.
AdminKey parse_so_key(std::string_view typed, std::string_view card_id,
                      std::optional<crypto::AdminAlgorithm> algorithm);

/// The typed-back code is the key that was shown: check and bytes (constant time). Error(usage) otherwise,
/// saying that nothing was written and to start again.
void check_typed_back(std::string_view typed, std::string_view card_id, const AdminKey& shown,
                      crypto::AdminAlgorithm algorithm);

/// The steps issue_so_token takes, in order, for --dry-run and for the record.
std::vector<std::string> so_token_plan(const SoTokenSurvey& survey);

struct SoTokenRequest {
  std::string operator_name;
  crypto::RandomSource random = crypto::system_random();  // the random PUK
};

/// Makes the card an SO token (so_token_plan): authenticates with the factory admin key; sets the SO PIN with
/// RESET RETRY COUNTER P1=02, which also proves the card allows it (Error(unsupported) otherwise, nothing
/// written); writes a CHUID when the card has no serial; sets the PUK to a random value nobody sees and spends
/// every PUK try; sets the management key to the SO key, last; audits "so-token" "issued" with the algorithm.
/// Every step can be redone: an interrupted run leaves the factory admin key, and survey_so_token accepts it.
void issue_so_token(Site& site, piv::PivSession& session, const SoTokenSurvey& survey, const AdminKey& so_key,
                    const Pin& so_pin, const SoTokenRequest& request);

/// so-unblock, step 1: the token's card id, its SO key algorithm (GET METADATA; nullopt when the card has none),
/// its PIN counter, and a challenge (GENERAL AUTHENTICATE 9B witness). The session must stay open.
struct SoUnblockChallenge {
  PendingChallenge pending;  // card id, algorithm, challenge, PIN counter
  std::optional<std::uint32_t> serial;
  bool algorithm_known = false;  // from GET METADATA, else from the typed key's length
};
SoUnblockChallenge begin_so_unblock(piv::PivSession& session);

/// so-unblock, step 2: the SO unblock key as typed (parse_so_key), in the token's algorithm when GET METADATA told
/// it, else in the one its number of digits gives.
AdminKey parse_so_key(std::string_view typed, const SoUnblockChallenge& challenge);

/// Where so-unblock is recorded: an installation's audit trail ("so-unblock" ok, or failed when the token
/// refused the key), or nowhere (site null: the token is unblocked offline).
struct SoUnblockRecord {
  Site* site = nullptr;
  std::string operator_name;
};

/// so-unblock, steps 3-4: response = E(K_SO, challenge) computed here, sent, then the new PIN with RESET RETRY
/// COUNTER P1=02. A key of another algorithm than the challenge's asks for a new challenge first (when the
/// algorithm was not known from GET METADATA; otherwise Error(usage)). Errors: auth_failed when the card refuses
/// the response (6982: not this token's SO key; nothing else is sent); unsupported when the card has no admin PIN
/// reset.
void finish_so_unblock(piv::PivSession& session, SoUnblockChallenge& challenge, const AdminKey& so_key,
                       const Pin& new_pin, const SoUnblockRecord& record = {});

}  // namespace cardctl::lifecycle
