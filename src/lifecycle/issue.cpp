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
void check_answers(const policy::HelpdeskRules& rules, const std::vector<std::pair<std::string, SecureString>>& answers) {
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

std::string checked_holder_id(std::string_view given) {
  auto first = given.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos)
    throw Error(ErrorKind::usage, "the holder id is empty",
                "give the holder's id (employee number or user name): --holder ID; the helpdesk identifies callers by it");
  auto last = given.find_last_not_of(" \t\r\n");
  std::string id(given.substr(first, last - first + 1));
  for (unsigned char c : id)
    if (c < 0x20 || c == 0x7f)
      throw Error(ErrorKind::usage, "the holder id contains a control character", "use letters, digits and punctuation");
  return id;
}

// Verifying the current PIN spends a try when it is wrong: never the last one without --force (DESIGN.md §7).
void check_pin_tries(piv::PivSession& session, bool force) {
  auto tries = session.pin_retries();
  if (tries.remaining == 0)
    throw Error(ErrorKind::blocked, "the card's PIN is blocked", "reset the card to its factory state before issuing it");
  if (tries.remaining == 1 && !force)
    throw Error(ErrorKind::policy, "the card's PIN has 1 try left; issuing verifies the current PIN and could spend it",
                "make sure the card still has its factory PIN (or pass it with --current-pin-file), then add --force");
}
}  // namespace

IssueResult issue_card(Site& site, piv::PivSession& session, IssueRequest req) {
  const auto& tpl = site.policy.card_template(req.template_name);
  req.holder_id = checked_holder_id(req.holder_id);
  if (req.holder_name.empty() || req.holder_name.find_first_not_of(" \t") == std::string::npos) req.holder_name = req.holder_id;
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

  check_pin_tries(session, req.force);
  result.puk = policy::generate_puk(tpl.puk, crypto::system_random());
  result.pin = req.first_pin ? std::move(*req.first_pin) : random_pin(tpl.pin, crypto::system_random());
  // Every secret is escrowed before the card is changed to it: a kill or a full disk after this point leaves a
  // pending card whose PUK and first PIN are in the inventory, never a card whose secrets are nowhere.
  site.inventory.with_transaction([&] {
    if (!site.inventory.find_holder(req.holder_id)) site.inventory.add_holder({req.holder_id, req.holder_name});
    site.inventory.enrol_answers(req.holder_id, req.answers);
    site.inventory.add_card({result.card_id, req.holder_id, tpl.name, tpl.admin_algorithm, result.key_version,
                             store::CardState::pending, "", ""});
    site.inventory.store_puk(result.card_id, result.puk, site.keystore.escrow_key());
    site.inventory.store_first_pin(result.card_id, result.pin, site.keystore.escrow_key());
  });

  // SET PIN RETRIES needs the PIN and resets PIN and PUK to the factory values (YubiKey behaviour).
  session.verify_pin(req.current_pin);
  session.set_pin_retries(tpl.pin.retries, tpl.puk.retries);
  session.change_puk(Puk::from_text(piv::factory::puk), result.puk);
  session.change_pin(Pin::from_text(piv::factory::pin), result.pin);
  session.set_management_key(new_key, tpl.admin_algorithm);

  site.inventory.set_card_state(result.card_id, store::CardState::active);
  site.audit({"", req.operator_name, "issue", result.card_id, req.holder_id, "ok", "",
              {{"template", tpl.name},
               {"algorithm", crypto::info(tpl.admin_algorithm).name},
               {"key_version", std::to_string(result.key_version)},
               {"answers", std::to_string(req.answers.size())}}});
  return result;
}

void first_pin_delivered(Site& site, const std::string& card_id) { site.inventory.forget_first_pin(card_id); }

}  // namespace cardctl::lifecycle
