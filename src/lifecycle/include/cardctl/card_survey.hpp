// Layer 9: what a card in a reader is, read before anything is written to it (cardctl-issue(1), CARD STATE):
// factory (or reset), issued by this installation (to whom, in which state), half-issued, or issued elsewhere.
#pragma once

#include <optional>
#include <string>

#include "cardctl/piv.hpp"
#include "cardctl/site.hpp"

namespace cardctl::lifecycle {

enum class CardKind {
  factory,  // default admin key, not in the inventory (or retired there): may be issued
  pending,  // half-issued by this installation: issuing it again starts it over
  issued,   // active or revoked in the inventory
  foreign,  // not in the inventory, and its admin key is not the factory key: issued by another system
};
const char* to_string(CardKind k);

struct CardSurvey {
  std::string card_id;  // serial in decimal, else the CHUID GUID (for a factory card without serial: a new GUID)
  bool has_serial = false;
  Bytes guid;           // the CHUID GUID issuance writes (a pending serial-less card keeps its own)
  CardKind kind = CardKind::factory;
  std::optional<store::CardRecord> record;
  std::optional<bool> admin_key_default;               // nullopt: the card has no metadata
  crypto::AdminAlgorithm admin_algorithm = crypto::AdminAlgorithm::tdes;  // of its current admin key
  std::string step;     // issuance progress of a pending card
};

/// Reads the admin-key metadata, the serial (else the CHUID), and looks the card up in the inventory. Sends nothing
/// that changes the card.
CardSurvey survey_card(Site& site, piv::PivSession& session);

/// "card 12345678 is already issued to holder 1042 (active); retire it first", and the like.
Error not_issuable(const CardSurvey& survey);

}  // namespace cardctl::lifecycle
