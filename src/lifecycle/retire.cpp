#include "cardctl/retire.hpp"

#include "cardctl/card_survey.hpp"
#include "cardctl/error.hpp"
#include "cardctl/issue.hpp"

namespace cardctl::lifecycle {

namespace {
store::CardRecord known_card(Site& site, const std::string& card_id) {
  auto card = site.inventory.find_card(card_id);
  if (!card)
    throw Error(ErrorKind::not_found, "card " + card_id + " is not in the inventory",
                "cardctl list shows the cards; a card issued elsewhere is reset with that system (or ykman piv reset)");
  return *card;
}

void record_retired(Site& site, const store::CardRecord& card, bool wiped, const std::string& operator_name) {
  site.inventory.with_transaction([&] {
    site.inventory.set_card_state(card.card_id, store::CardState::retired);
    site.inventory.forget_first_pin(card.card_id);
    site.audit({"", operator_name, "retire", card.card_id, card.holder_id, "ok", "",
                {{"previous", store::to_string(card.state)}, {"wiped", wiped ? "yes" : "no"}}});
  });
}
}  // namespace

RetireResult retire_card(Site& site, piv::PivSession& session, const std::string& card_id, const std::string& operator_name) {
  CardSurvey survey = survey_card(site, session);
  if (!card_id.empty() && survey.card_id != card_id)
    throw Error(ErrorKind::usage,
                "the card in " + session.connection().reader() + " is " +
                    (survey.card_id.empty() ? std::string("a card without id") : "card " + survey.card_id) + ", not " + card_id,
                "put card " + card_id + " in the reader, or retire it without the card: cardctl retire " + card_id + " --absent");
  if (!survey.record) {
    if (!survey.has_serial && survey.admin_key_default.value_or(false))
      throw Error(ErrorKind::not_found, "the card in " + session.connection().reader() + " has not been issued", "nothing to retire");
    known_card(site, survey.card_id);
  }
  store::CardRecord card = *survey.record;
  // A pending card may still have the factory key or the new one; an issued card must prove it is ours before
  // it is wiped: it accepts the admin key the inventory has for it. One with the factory key holds nothing to
  // protect (a retire cut short after the RESET, say): it is reset again and recorded.
  if (card.state != store::CardState::pending && !survey.admin_key_default.value_or(false)) {
    try {
      session.authenticate(admin_key_for(site, card), card.algorithm);
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::auth_failed) throw;
      throw Error(ErrorKind::auth_failed,
                  "card " + card.card_id + " does not accept the admin key the inventory has for it; it was not wiped",
                  "if it was re-keyed by another system, reset it there; to only mark it: cardctl retire " + card.card_id +
                      " --absent");
    }
  }
  session.factory_reset();
  RetireResult r{card.card_id, card.holder_id, card.state, true};
  if (card.state != store::CardState::retired) record_retired(site, card, true, operator_name);
  else site.audit({"", operator_name, "retire", card.card_id, card.holder_id, "wiped", "", {}});
  return r;
}

RetireResult retire_absent_card(Site& site, const std::string& card_id, const std::string& operator_name) {
  store::CardRecord card = known_card(site, card_id);
  if (card.state == store::CardState::retired)
    throw Error(ErrorKind::conflict, "card " + card_id + " is already retired",
                "to wipe it, put it in a reader and run: cardctl retire " + card_id);
  record_retired(site, card, false, operator_name);
  return {card.card_id, card.holder_id, card.state, false};
}

}  // namespace cardctl::lifecycle
