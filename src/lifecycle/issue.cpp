#include "cardctl/issue.hpp"

#include <set>

#include "cardctl/error.hpp"

namespace cardctl::lifecycle {

Pin random_pin(const policy::PinRules& rules, const crypto::RandomSource& random) {
  policy::PukRules digits{rules.min_length, rules.digits_only ? "0123456789" : "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ", 3};
  for (;;) {
    Puk candidate = policy::generate_puk(digits, random);
    Pin pin(candidate.bytes());
    try {
      policy::check_new_pin(rules, pin);
      return pin;
    } catch (const Error&) {  // a trivial pattern: draw again
    }
  }
}

namespace {
void check_answers(const policy::HelpdeskRules& rules, const std::vector<std::pair<std::string, std::string>>& answers) {
  std::set<std::string> known;
  for (const auto& q : rules.questions) known.insert(q.id);
  std::set<std::string> given;
  for (const auto& [id, answer] : answers) {
    if (!known.count(id))
      throw Error(ErrorKind::usage, "there is no security question '" + id + "' in the policy",
                  "see [[helpdesk.questions]] in the policy for the ids");
    if (!given.insert(id).second) throw Error(ErrorKind::usage, "question '" + id + "' is answered twice");
  }
  if (static_cast<int>(given.size()) < rules.questions_enrolled)
    throw Error(ErrorKind::policy, "the policy wants " + std::to_string(rules.questions_enrolled) +
                                       " security answers per holder, got " + std::to_string(given.size()),
                "give more with --answer ID (the answers are read like secrets)");
}
}  // namespace

IssueResult issue_card(Site& site, piv::PivSession& session, IssueRequest req) {
  const auto& tpl = site.policy.card_template(req.template_name);
  check_answers(site.policy.helpdesk, req.answers);
  if (req.first_pin) policy::check_new_pin(tpl.pin, *req.first_pin);

  session.authenticate(req.current_admin_key, req.current_algorithm);
  Bytes guid = crypto::random_bytes(16);
  session.put_chuid(guid);
  IssueResult result{session.card_id(), tpl.admin_algorithm, 0, Pin(), Puk()};
  if (auto existing = site.inventory.find_card(result.card_id))
    throw Error(ErrorKind::conflict, "card " + result.card_id + " is already in the inventory (" +
                                         store::to_string(existing->state) + ")",
                "retire it first (cardctl retire) to issue it again");

  AdminKey new_key;
  if (tpl.diversify) {
    result.key_version = site.keystore.current_version();
    new_key = crypto::derive_admin_key(site.keystore.master(result.key_version), tpl.admin_algorithm, result.card_id,
                                       result.key_version);
  } else {
    const auto& fixed = site.keystore.fixed_key(tpl.fixed_key);
    if (fixed.algorithm != tpl.admin_algorithm)
      throw Error(ErrorKind::policy, "template " + tpl.name + " names fixed key '" + tpl.fixed_key +
                                         "' whose algorithm differs from the template's");
    new_key = fixed.key.clone();
  }

  site.inventory.with_transaction([&] {
    if (!site.inventory.find_holder(req.holder_id)) site.inventory.add_holder({req.holder_id, req.holder_name});
    site.inventory.enrol_answers(req.holder_id, req.answers);
    site.inventory.add_card({result.card_id, req.holder_id, tpl.name, tpl.admin_algorithm, result.key_version,
                             store::CardState::pending, "", ""});
  });

  // SET PIN RETRIES needs the PIN and resets PIN and PUK to the factory values (YubiKey behaviour).
  session.verify_pin(req.current_pin);
  session.set_pin_retries(tpl.pin.retries, tpl.puk.retries);
  result.puk = policy::generate_puk(tpl.puk, crypto::system_random());
  result.pin = req.first_pin ? std::move(*req.first_pin) : random_pin(tpl.pin, crypto::system_random());
  session.change_puk(Puk::from_text(piv::factory::puk), result.puk);
  site.inventory.store_puk(result.card_id, result.puk, site.keystore.escrow_key());
  session.change_pin(Pin::from_text(piv::factory::pin), result.pin);
  session.set_management_key(new_key, tpl.admin_algorithm);

  site.inventory.set_card_state(result.card_id, store::CardState::active);
  site.audit({"", req.operator_name, "issue", result.card_id, req.holder_id, "ok", "",
              {{"template", tpl.name},
               {"algorithm", crypto::info(tpl.admin_algorithm).name},
               {"key_version", std::to_string(result.key_version)}}});
  return result;
}

}  // namespace cardctl::lifecycle
