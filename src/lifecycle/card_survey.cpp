#include "cardctl/card_survey.hpp"

#include "cardctl/error.hpp"
#include "cardctl/tlv.hpp"

namespace cardctl::lifecycle {

const char* to_string(CardKind k) {
  switch (k) {
    case CardKind::factory: return "factory";
    case CardKind::pending: return "pending";
    case CardKind::issued: return "issued";
    case CardKind::foreign: return "foreign";
  }
  return "factory";
}

CardSurvey survey_card(Site& site, piv::PivSession& session) {
  CardSurvey s;
  auto admin = session.management_key_info();
  s.admin_key_default = admin.is_default;
  s.admin_algorithm = admin.algorithm;
  if (auto serial = session.serial()) {
    s.has_serial = true;
    s.card_id = std::to_string(*serial);
  } else if (auto chuid = session.get_object(piv::object::chuid)) {
    auto guid = tlv::find(*chuid, piv::tag::chuid_guid);
    if (guid && guid->size() == 16) {
      s.guid.assign(guid->begin(), guid->end());
      s.card_id = to_hex(s.guid);
    }
  }
  if (!s.card_id.empty()) s.record = site.inventory.find_card(s.card_id);
  if (s.record && (s.record->state == store::CardState::active || s.record->state == store::CardState::revoked)) {
    s.kind = CardKind::issued;
  } else if (s.record && s.record->state == store::CardState::pending) {
    s.kind = CardKind::pending;
    s.step = site.inventory.issuance_step(s.card_id);
  } else {
    // Unknown here, or retired: issuable when its admin key is still the factory one. Without metadata that is
    // learnt by authenticating with the factory key, the first thing issuance does.
    s.kind = s.admin_key_default.value_or(true) ? CardKind::factory : CardKind::foreign;
  }
  if (s.kind != CardKind::pending || s.has_serial) s.guid = crypto::random_bytes(16);
  if (!s.has_serial && s.kind != CardKind::pending && s.kind != CardKind::issued && s.kind != CardKind::foreign) {
    s.card_id = to_hex(s.guid);
    s.record = site.inventory.find_card(s.card_id);
  }
  return s;
}

Error not_issuable(const CardSurvey& s) {
  if (s.kind == CardKind::issued)
    return Error(ErrorKind::conflict,
                 "card " + s.card_id + " is already issued to holder " + s.record->holder_id + " (" +
                     store::to_string(s.record->state) + "); retire it first",
                 "cardctl retire " + s.card_id + " wipes it (with the card in the reader); a holder who lost a card "
                 "gets a new one with cardctl issue --replace");
  if (s.kind == CardKind::foreign && s.record)
    return Error(ErrorKind::conflict, "card " + s.card_id + " was retired without being reset",
                 "put it in a reader and run: cardctl retire " + s.card_id + " (that resets it to its factory state)");
  return Error(ErrorKind::conflict,
               "card " + (s.card_id.empty() ? std::string("in the reader") : s.card_id) +
                   " is not in the inventory and its admin key is not the factory key: it was issued by another system",
               "reset it to its factory state with that system (or ykman piv reset), then issue it");
}

}  // namespace cardctl::lifecycle
