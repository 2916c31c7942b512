// Layer 9: issuing one card from a template (cardctl-issue(1)): the card is surveyed first and refused unless it
// is in its factory state (or half-issued by this installation, which starts it over); then a diversified admin
// key, PIN and PUK retries, a random escrowed PUK, a first PIN, a fresh CHUID, a key generated on the card for
// every slot of the template with a certificate from a file-based CA (or a CSR for an outside CA), and the card
// and holder in the inventory, audited. Every step is recorded, so a pulled card or a killed process leaves the
// card pending, and issuing it again finishes it.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cardctl/card_survey.hpp"
#include "cardctl/piv.hpp"
#include "cardctl/site.hpp"
#include "cardctl/x509.hpp"

namespace cardctl::lifecycle {

/// Where the certificates of the generated keys come from.
struct CertificateSource {
  const crypto::CertificateAuthority* ca = nullptr;  // signs each card's CSRs
  std::string csr_dir;  // else: CSRs are written here and the card waits for `issue --import-certificates`
};

struct IssueRequest {
  /// The card as the caller surveyed it in this same session (a batch, which looks before it takes a holder);
  /// nullopt: issue_card surveys it.
  std::optional<CardSurvey> survey;
  std::string template_name;
  std::string holder_id;
  std::string holder_name;
  std::string holder_email;
  std::vector<std::pair<std::string, SecureString>> answers;  // question id -> answer
  /// Batch issuance enrols no answers; the holder keeps the ones enrolled before, or has none (no offline unblock).
  bool answers_optional = false;
  bool force = false;    // may spend the card's last PIN try
  bool replace = false;  // the holder's active card is revoked (lost) and this one issued
  bool dry_run = false;  // survey and plan only: nothing that changes the card or the inventory
  std::string operator_name;
  std::optional<Pin> first_pin;  // else a random one that follows the template's PIN rules
  CertificateSource certificates;
  /// The card's current PIN (factory default unless the card comes from elsewhere).
  Pin current_pin = Pin::from_text(piv::factory::pin);
  /// Called as each step starts (progress displays); may be empty.
  std::function<void(const std::string& step)> on_step;
};

struct IssuedSlot {
  std::uint8_t slot = 0;
  crypto::KeyAlgorithm algorithm{};
  Bytes certificate;     // DER; empty when a CSR was written instead
  std::string csr_file;  // the CSR written for an outside CA
  std::string not_after;
};

struct IssueResult {
  std::string card_id;
  std::string holder_id;
  crypto::AdminAlgorithm algorithm;
  std::uint32_t key_version = 0;
  Pin pin;
  Puk puk;
  CardKind found = CardKind::factory;  // what the survey found (pending: started over)
  std::vector<IssuedSlot> slots;
  std::string replaced_card;         // the holder's card revoked by --replace
  bool awaiting_certificates = false;  // CSRs written; the card stays pending
  bool imported = false;               // completed by import_certificates (nothing was started over)
  std::vector<std::string> plan;     // every step, in order (dry run: nothing done)
};

/// Thrown when the holder already has a card (active without replace, or half-issued on another card): batch
/// issuance moves on to the next holder.
class HolderHasCard : public Error {
 public:
  HolderHasCard(const std::string& card, store::CardState st, std::string message, std::string hint)
      : Error(ErrorKind::conflict, std::move(message), std::move(hint)), card_id(card), state(st) {}
  std::string card_id;
  store::CardState state;
};

/// Error(usage) for a blank holder id; Error(conflict) for a card issued already or elsewhere, or a holder with a
/// card (without replace); Error(unsupported) for a template the card cannot carry out, before anything is
/// written; Error(policy) when the card's PIN has one try left and !force. The PUK and the first PIN are escrowed
/// in the inventory (card pending) before the card is changed to them.
IssueResult issue_card(Site& site, piv::PivSession& session, IssueRequest request);

/// Completes a card left waiting for its certificates (`--csr-out`): each slot's certificate is read from
/// DIR/CARD-SLOT.crt (PEM or DER), checked against the key on the card, written to the card, and the card made active.
IssueResult import_certificates(Site& site, piv::PivSession& session, const std::string& dir,
                                const std::string& operator_name);

/// The first PIN was shown to the operator: its escrowed copy is deleted.
void first_pin_delivered(Site& site, const std::string& card_id);

/// A random PIN that follows the rules (digits when digits_only), of the minimum length.
Pin random_pin(const policy::PinRules& rules, const crypto::RandomSource& random);

/// The admin key the inventory's record says the card has (derived, or the template's fixed key).
AdminKey admin_key_for(Site& site, const store::CardRecord& card);

/// The certificate profile of a slot: the template's rules with the holder's fields filled in.
crypto::CertificateProfile certificate_profile(const policy::CardTemplate& tpl, std::uint8_t slot,
                                               const store::Holder& holder);

}  // namespace cardctl::lifecycle
