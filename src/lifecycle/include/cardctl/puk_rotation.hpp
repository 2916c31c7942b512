// Layer 9: what happens to a PUK once it has left escrow (cardctl-puc(1), ROTATION). A PUK the helpdesk disclosed,
// or that unblocked the card through cardctl, is known outside the inventory; the policy (helpdesk.rotate_disclosed_puk)
// has it replaced the next time the card is at hand with the inventory in reach.
#pragma once

#include <string>

#include "cardctl/piv.hpp"
#include "cardctl/site.hpp"

namespace cardctl::lifecycle {

struct PukRotationResult {
  std::string card_id;
  std::string holder_id;
  bool resumed = false;  // a rotation cut off earlier was finished
};

/// The card in the session gets a new random PUK (the template's rules). The new PUK is escrowed before the card
/// is changed and becomes the card's escrowed PUK once the card has it, so a rotation cut off anywhere is finished
/// by running it again. Before any PUK try: Error(blocked) for a blocked PUK; without force, Error(policy) when the
/// card has fewer tries left than the rotation may need (2, or 3 to finish one cut off between the card and the
/// inventory) or cannot tell. Error(not_found) for a card the inventory does not know, Error(policy) for one that
/// is not active, Error(wrong_pin) when the card's PUK is not the escrowed one (changed by its holder): nothing
/// is changed then. Audited as puc rotated, or puc failed with the reason.
PukRotationResult rotate_puk(Site& site, piv::PivSession& session, const std::string& operator_name, bool force);

/// Records that the card's PUK unblocked it through cardctl (audit: puc used). Returns whether the policy wants
/// the PUK replaced now (helpdesk.rotate_disclosed_puk and the PUK was disclosed or used since it was set).
/// Error(not_found) for a card the inventory does not know.
bool record_puk_use(Site& site, const std::string& card_id, const std::string& operator_name);

/// Whether the card's PUK is due for rotation under the policy (for cardctl show).
bool puk_rotation_due(Site& site, const std::string& card_id);

}  // namespace cardctl::lifecycle
