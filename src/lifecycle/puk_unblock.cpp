#include "cardctl/puk_unblock.hpp"

#include "cardctl/error.hpp"
#include "cardctl/puk_rotation.hpp"
#include "cardctl/tries.hpp"

namespace cardctl::lifecycle {

PukUnblockPlan plan_puk_unblock(piv::PivSession& session, Site* site, const policy::PinRules& default_rules) {
  PukUnblockPlan plan;
  plan.card_id = with_context("reading the card id", [&] { return session.card_id(); });
  if (site) plan.card = site->inventory.find_card(plan.card_id);
  plan.pin_rules = plan.card ? site->policy.card_template(plan.card->template_name).pin : default_rules;
  plan.tries = with_context("reading the PUK retry counter", [&] { return session.puk_retries(); });
  return plan;
}

PukUnblockResult unblock_with_puk(piv::PivSession& session, Site* site, const PukUnblockPlan& plan, const Puk& puk,
                                  const Pin& new_pin, const std::string& operator_name, bool force) {
  check_last_try(plan.tries, Reference::puk, force);
  policy::check_new_pin(plan.pin_rules, new_pin);
  session.reset_pin_with_puk(puk, new_pin);

  PukUnblockResult result{plan.card_id, false, false, {}};
  if (site && !plan.card)
    result.warnings.push_back("card " + plan.card_id +
                              " is not in this installation's inventory: the PUK use is not recorded");
  if (site && plan.card) {
    const bool due = record_puk_use(*site, plan.card_id, operator_name);
    result.recorded = true;
    if (due) {
      try {
        rotate_puk(*site, session, operator_name, false);
        result.puk_rotated = true;
      } catch (const Error& e) {
        if (e.kind() == ErrorKind::card_removed) throw;
        result.warnings.push_back(std::string("the PIN is unblocked, but the disclosed PUK could not be replaced: ") +
                                  e.what());
        result.warnings.push_back("replace it later with the card present: cardctl puc rotate");
      }
    }
  }
  return result;
}

}  // namespace cardctl::lifecycle
