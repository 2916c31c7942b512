// Layer 9: issuing one card from a template (DESIGN.md §1, §4): diversified admin key, PIN and PUK retries, a
// random escrowed PUK, a first PIN, a fresh CHUID, and the card and holder in the inventory, audited.
// Key generation, certificates, batches and resumption come later; they slot in after the PIN/PUK steps.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cardctl/piv.hpp"
#include "cardctl/site.hpp"

namespace cardctl::lifecycle {

struct IssueRequest {
  std::string template_name;
  std::string holder_id;
  std::string holder_name;
  std::vector<std::pair<std::string, SecureString>> answers;  // question id -> answer
  bool force = false;  // may spend the card's last PIN try
  std::string operator_name;
  std::optional<Pin> first_pin;  // else a random one that follows the template's PIN rules
  /// The card's current admin key (factory default unless the card comes from elsewhere) and PIN.
  AdminKey current_admin_key = AdminKey(ByteView(piv::factory::management_key));
  crypto::AdminAlgorithm current_algorithm = crypto::AdminAlgorithm::tdes;
  Pin current_pin = Pin::from_text(piv::factory::pin);
};

struct IssueResult {
  std::string card_id;
  crypto::AdminAlgorithm algorithm;
  std::uint32_t key_version = 0;
  Pin pin;
  Puk puk;
};

/// Error(usage) for a blank holder id; Error(policy) when the card's PIN has one try left and !force. The PUK and
/// the first PIN are escrowed in the inventory (card pending) before the card is changed to them.
IssueResult issue_card(Site& site, piv::PivSession& session, IssueRequest request);

/// The first PIN was shown to the operator: its escrowed copy is deleted.
void first_pin_delivered(Site& site, const std::string& card_id);

/// A random PIN that follows the rules (digits when digits_only), of the minimum length.
Pin random_pin(const policy::PinRules& rules, const crypto::RandomSource& random);

}  // namespace cardctl::lifecycle
