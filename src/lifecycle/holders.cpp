#include "cardctl/holders.hpp"

#include <set>

#include "cardctl/error.hpp"
#include "cardctl/ledger.hpp"
#include "reason.hpp"

namespace cardctl::lifecycle {

void check_answers(const policy::HelpdeskRules& rules, const std::vector<std::pair<std::string, SecureString>>& answers,
                   bool optional) {
  std::set<std::string> known;
  for (const auto& q : rules.questions) known.insert(q.id);
  std::set<std::string> given;
  for (const auto& [id, answer] : answers) {
    if (!known.count(id))
      throw Error(ErrorKind::usage, "there is no security question '" + id + "' in the policy",
                  "see [[helpdesk.questions]] in the policy for the ids");
    if (!given.insert(id).second) throw Error(ErrorKind::usage, "question '" + id + "' is answered twice");
  }
  if (optional && given.empty()) return;
  if (static_cast<int>(given.size()) < rules.questions_enrolled)
    throw Error(ErrorKind::policy, "the policy wants " + std::to_string(rules.questions_enrolled) +
                                       " security answers per holder, got " + std::to_string(given.size()),
                "give more with --answer ID (the answers are read like secrets)");
}

namespace {
store::Holder known_holder(Site& site, const std::string& holder_id) {
  auto h = site.inventory.find_holder(holder_id);
  if (!h)
    throw Error(ErrorKind::not_found, "holder '" + holder_id + "' is not in the inventory",
                "cardctl list --holder ID shows a holder's cards; holders are added when a card is issued to them");
  return *h;
}

}  // namespace

HolderDetails show_holder(Site& site, const std::string& holder_id) {
  HolderDetails d;
  d.holder = known_holder(site, holder_id);
  d.cards = site.inventory.cards_of_holder(holder_id);
  d.enrolled_questions = site.inventory.enrolled_questions(holder_id);
  d.lockout_after = site.policy.helpdesk.lockout_after_failures;
  d.identification_failures = Ledger(site.verified_audit()).identification_failures(holder_id, site.helpdesk_period_start());
  return d;
}

void enrol_holder_answers(Site& site, const std::string& operator_name, const std::string& holder_id,
                          const std::vector<std::pair<std::string, SecureString>>& answers) {
  known_holder(site, holder_id);
  check_answers(site.policy.helpdesk, answers, false);
  std::string ids;
  for (const auto& [id, _] : answers) ids += (ids.empty() ? "" : ",") + id;
  site.inventory.with_transaction([&] {
    site.inventory.enrol_answers(holder_id, answers);
    site.audit({"", operator_name, "holder", "", holder_id, "answers-enrolled", "", {{"questions", ids}}});
  });
}

void clear_lockout(Site& site, const std::string& operator_name, const std::string& holder_id, const std::string& reason) {
  const std::string why = checked_reason(reason, "a reason is required", "say why, for the audit trail: --reason 'identified in person'");
  known_holder(site, holder_id);
  site.inventory.with_transaction([&] {
    int failures = Ledger(site.verified_audit()).identification_failures(holder_id, site.helpdesk_period_start());
    if (failures == 0)
      throw Error(ErrorKind::policy, "holder " + holder_id + " has no failed identification to clear",
                  "cardctl holder show " + holder_id + " shows the count");
    site.audit({"", operator_name, audit_words::identify, "", holder_id, audit_words::cleared, why,
                {{"failures", std::to_string(failures)}}});
  });
}

}  // namespace cardctl::lifecycle
