#include "cardctl/in_person.hpp"

#include "cardctl/error.hpp"
#include "cardctl/issue.hpp"
#include "cardctl/ledger.hpp"
#include "cardctl/tries.hpp"
#include "reason.hpp"

namespace cardctl::lifecycle {

namespace {
namespace w = audit_words;

[[noreturn]] void refuse(Site& site, const InPersonRequest& r, const std::string& card_id, const std::string& holder,
                         const std::string& rule, const std::string& message, const std::string& hint) {
  site.audit({"", r.operator_name, "unblock", card_id, holder, "refused", rule, {{w::in_person, "yes"}}});
  throw Error(ErrorKind::policy, message, hint);
}
}  // namespace

InPersonPlan plan_in_person(Site& site, piv::PivSession& session, const InPersonRequest& r) {
  checked_reason(r.id_check, "the ID check is required",
                 "say what was checked, for the audit trail: --id-check 'passport X1234567' or --id-check 'known "
                 "personally'");
  InPersonPlan plan;
  plan.card_id = with_context("reading the card id", [&] { return session.card_id(); });
  auto card = site.inventory.find_card(plan.card_id);
  if (!card)
    throw Error(ErrorKind::not_found, "card " + plan.card_id + " is not in the inventory",
                "only cards issued by this installation can be unblocked in person here (cardctl list)");
  plan.holder_id = card->holder_id;
  if (auto h = site.inventory.find_holder(card->holder_id)) plan.holder_name = h->name;
  if (card->state != store::CardState::active)
    refuse(site, r, plan.card_id, plan.holder_id, std::string("card ") + store::to_string(card->state),
           "card " + plan.card_id + " is " + store::to_string(card->state) + ": no unblock for it",
           "a revoked or retired card is not unblocked; issue a new one");
  const auto& tpl = site.policy.card_template(card->template_name);
  plan.method = tpl.admin_pin_reset ? "admin-key" : "puk";
  plan.pin_rules = tpl.pin;
  const auto& rules = site.policy.helpdesk;
  plan.over_limit = Ledger(site.verified_audit()).responses(plan.card_id, site.helpdesk_period_start()) >=
                    rules.unblocks_per_period;
  if (plan.over_limit && !rules.in_person_over_limit)
    refuse(site, r, plan.card_id, plan.holder_id, "offline unblock limit",
           "card " + plan.card_id + " has used up its offline unblocks for the period, and the policy does not allow "
           "in-person unblock over the limit (helpdesk.in_person_over_limit = false)",
           "wait for the period to end, or have the system owner change the policy (cardctl policy apply)");
  return plan;
}

InPersonPlan unblock_in_person(Site& site, piv::PivSession& session, const InPersonRequest& r, const Pin& new_pin) {
  InPersonPlan plan = plan_in_person(site, session, r);
  policy::check_new_pin(plan.pin_rules, new_pin);
  const std::string id_check = checked_reason(r.id_check, "the ID check is required", "");
  auto card = *site.inventory.find_card(plan.card_id);
  store::AuditEntry entry{"", r.operator_name, "unblock", plan.card_id, plan.holder_id, w::in_person, "",
                          {{"id_check", id_check}, {"method", plan.method}}};
  if (plan.over_limit) entry.details.emplace_back("over_limit", "yes");
  try {
    if (plan.method == "admin-key") {
      with_context("authenticating with the card's admin key",
                   [&] { session.authenticate(admin_key_for(site, card), card.algorithm); });
      session.reset_pin_as_admin(new_pin);
    } else {
      auto tries = with_context("reading the PUK retry counter", [&] { return session.puk_retries(); });
      const std::string spent_hint =
          "the escrowed PUK is used without being shown; if the holder changed it, a try is spent: run again with "
          "--force to go ahead";
      check_last_try(tries, Reference::puk, r.force, 1,
                     {.blocked = "the card's PUK is blocked, and its template has no admin-key PIN reset",
                      .blocked_hint = "retire the card and issue a new one (cardctl retire, cardctl issue --replace)",
                      .few_left = "the card's PUK has 1 try left",
                      .few_left_hint = spent_hint,
                      .unknown = "the card cannot tell how many tries its PUK has left",
                      .unknown_hint = spent_hint});
      Puk puk = site.inventory.load_puk(plan.card_id, site.keystore.escrow_key());
      session.reset_pin_with_puk(puk, new_pin);
    }
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::card_removed || e.kind() == ErrorKind::usage) throw;
    site.audit({"", r.operator_name, "unblock", plan.card_id, plan.holder_id, "failed", e.what(),
                {{w::in_person, "yes"}}});
    throw;
  }
  site.audit(entry);
  return plan;
}

}  // namespace cardctl::lifecycle
