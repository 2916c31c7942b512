// Layer 9: operators and roles (cardctl-operator(1)). The policy's [roles] say which commands each role may run;
// the system owner registers operators with a role; every command that opens the installation names its
// operator (--operator, CARDCTL_OPERATOR or the login name), checks the role, and the audit records the name.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "cardctl/card_unlock.hpp"
#include "cardctl/piv.hpp"
#include "cardctl/site.hpp"

namespace cardctl::lifecycle {

/// Error(policy) unless operator_name may run command: a registered operator whose role allows it. An
/// installation with no operator registered (made before operators existed) lets everyone run everything until
/// the system owner registers the first one. A refusal is audited (action: the command, outcome refused).
void authorize(Site& site, const std::string& operator_name, std::string_view command);

/// Registers name with role (one the policy defines), audited as "operator added". Error(conflict) when registered.
store::Operator add_operator(Site& site, const std::string& actor, const std::string& name, const std::string& role);
/// Removes name, audited as "operator removed", and the entries of its cards in keystore.cards (each audited as
/// "operator card-removed"), so that they no longer open the keystore. The last system owner cannot be removed.
void remove_operator(Site& site, const std::string& actor, const std::string& name);

// --- operators' cards (cardctl-operator(1), UNLOCKING WITH A CARD) --------------------------------------------

/// The public key (SPKI DER) of the key-management key in slot 9D of the card in session, from GET METADATA, else
/// from the slot's certificate. Error(unsupported) "the card in READER has no P-256 key in slot 9D; issue it with a
/// template that has slot 9d" when there is none, or it is not P-256 or P-384.
Bytes card_unlock_key(piv::PivSession& session, const std::string& reader);

/// Enrols the card card_id, whose slot 9D public key is card_spki, for the registered operator name: the keystore's
/// file key wrapped for it in keystore.cards, audited as "operator card-added". Enrolling it again for the same
/// operator replaces the entry. Error(not_found) for an unregistered operator; Error(conflict) when the card opens
/// the keystore for another operator.
void add_operator_card(Site& site, const std::string& actor, const std::string& name, const std::string& card_id,
                       ByteView card_spki);

/// The entries of keystore.cards for card_id. Error(not_found) "the card N opens no keystore here" when none.
std::vector<store::CardUnlockEntry> card_unlock_entries(const SitePaths& paths, const std::string& card_id);

/// Opens the installation with an operator's card whose PIN the caller has verified in session: ECDH with the
/// entry's ephemeral point in slot 9D, the keystore's file key unwrapped, the keystore opened (and checked to be
/// the installation the entry was made for), and the audit entry "keystore opened" naming the operator and card.
Site open_with_card(const SitePaths& paths, piv::PivSession& session, const store::CardUnlockEntry& entry,
                    std::string_view command);

}  // namespace cardctl::lifecycle
