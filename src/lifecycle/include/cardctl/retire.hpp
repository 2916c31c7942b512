// Layer 9: the end of a card's life in this installation (cardctl-retire(1)). With the card present it is
// authenticated with the admin key the inventory has for it, reset to its factory state and marked retired, so it
// can be issued again; without it (lost, destroyed) it is only marked. Audited either way.
#pragma once

#include <string>

#include "cardctl/piv.hpp"
#include "cardctl/site.hpp"

namespace cardctl::lifecycle {

struct RetireResult {
  std::string card_id;
  std::string holder_id;
  store::CardState previous = store::CardState::active;
  bool wiped = false;  // the card was reset to its factory state
};

/// The card in the session (card_id empty, or equal to it). Error(not_found) when the inventory does not know it;
/// Error(auth_failed) when it does not accept the admin key recorded for it (then it is not wiped).
RetireResult retire_card(Site& site, piv::PivSession& session, const std::string& card_id, const std::string& operator_name);
/// Marks a card that is not at hand retired (it is not wiped: retire it again with the card present to do that).
RetireResult retire_absent_card(Site& site, const std::string& card_id, const std::string& operator_name);

}  // namespace cardctl::lifecycle
