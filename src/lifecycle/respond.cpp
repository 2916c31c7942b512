#include "cardctl/respond.hpp"

#include <algorithm>
#include <chrono>

#include "cardctl/error.hpp"
#include "cardctl/offline_unblock.hpp"

namespace cardctl::lifecycle {

namespace {
const char* kInPerson = "the holder must come in person with ID to have the card unblocked (or use the PUK)";

[[noreturn]] void refuse(Site& site, const RespondRequest& r, const std::string& holder, const std::string& rule,
                         const std::string& message, const std::string& hint = kInPerson) {
  site.audit({"", r.operator_name, "respond", r.card_id, holder, "refused", rule, {}});
  throw Error(ErrorKind::policy, message, hint);
}

// Picks n distinct questions among the enrolled ones, uniformly.
std::vector<std::string> pick(std::vector<std::string> ids, int n, const crypto::RandomSource& random) {
  for (std::size_t i = ids.size(); i > 1; --i) {
    std::uint32_t x = 0;
    random(std::span<std::uint8_t>(reinterpret_cast<std::uint8_t*>(&x), sizeof x));
    std::swap(ids[i - 1], ids[x % i]);
  }
  ids.resize(std::min<std::size_t>(ids.size(), static_cast<std::size_t>(n)));
  return ids;
}
}  // namespace

RespondResult respond(Site& site, const RespondRequest& r) {
  const auto& rules = site.policy.helpdesk;
  auto card = site.inventory.find_card(r.card_id);
  crypto::AdminAlgorithm algorithm;
  std::uint32_t version = 0;
  std::string holder;
  if (!card) {
    if (!rules.allow_unknown_cards)
      refuse(site, r, "", "unknown card", "card " + r.card_id + " is not in the inventory, and the policy does not "
                                          "allow responses for unknown cards",
             "check the card id the caller read out (cardctl challenge shows it)");
    if (!r.algorithm || !r.key_version)
      throw Error(ErrorKind::usage, "card " + r.card_id + " is not in the inventory",
                  "give its admin-key algorithm and key version: --algorithm ALG --key-version N");
    algorithm = *r.algorithm;
    version = *r.key_version;
  } else {
    holder = card->holder_id;
    if (card->state != store::CardState::active)
      refuse(site, r, holder, "card " + std::string(store::to_string(card->state)),
             "card " + r.card_id + " is " + store::to_string(card->state) + ": no unblock for it",
             "a revoked or retired card is not unblocked; issue a new one");
    auto tpl = site.policy.templates.find(card->template_name);
    if (tpl == site.policy.templates.end() || !tpl->second.offline_unblock)
      refuse(site, r, holder, "offline unblock disabled",
             "offline unblock is not allowed for cards of template '" + card->template_name + "'");
    if (!tpl->second.diversify)
      throw Error(ErrorKind::unsupported, "card " + r.card_id + " uses a fixed admin key; offline unblock needs a "
                                          "diversified one", kInPerson);
    algorithm = card->algorithm;
    version = card->key_version;
  }
  // The check binds the card id: a wrong card or a misheard digit is caught before anything is read out.
  Bytes challenge = parse_code(r.challenge, r.card_id, algorithm, "challenge", r.no_check);

  auto now = site.inventory.now_point();
  auto period_start = now - std::chrono::hours(24 * rules.period_days);
  int used = site.inventory.count_offline_unblocks(r.card_id, period_start);
  if (used >= rules.unblocks_per_period)
    refuse(site, r, holder, "offline unblock limit",
           "card " + r.card_id + " has had " + std::to_string(used) + " offline unblocks in the last " +
               std::to_string(rules.period_days) + " days; the policy allows " +
               std::to_string(rules.unblocks_per_period));

  if (!holder.empty() && rules.questions_asked > 0) {
    if (site.inventory.count_identification_failures(holder, period_start) >= rules.lockout_after_failures)
      refuse(site, r, holder, "holder locked out",
             "holder " + holder + " is locked out of offline unblock after " +
                 std::to_string(rules.lockout_after_failures) + " failed identifications");
    auto enrolled = site.inventory.enrolled_questions(holder);
    if (static_cast<int>(enrolled.size()) < rules.questions_asked)
      refuse(site, r, holder, "not enough answers enrolled",
             "holder " + holder + " has enrolled " + std::to_string(enrolled.size()) + " security answers; the "
             "policy asks " + std::to_string(rules.questions_asked));
    if (!r.ask) throw Error(ErrorKind::usage, "the security questions must be asked (no way to ask them here)");
    int wrong = 0;
    for (const auto& id : pick(enrolled, rules.questions_asked, r.random)) {
      auto q = std::find_if(rules.questions.begin(), rules.questions.end(), [&](const auto& x) { return x.id == id; });
      policy::Question question = q != rules.questions.end() ? *q : policy::Question{id, id};
      SecureString answer = r.ask(question);
      if (!site.inventory.verify_answer(holder, id, std::string_view(answer.data(), answer.size()))) ++wrong;
    }
    if (wrong > 0) {
      site.inventory.record_identification_failure(holder);
      int failures = site.inventory.count_identification_failures(holder, period_start);
      int left = std::max(0, rules.lockout_after_failures - failures);
      refuse(site, r, holder, "caller not identified",
             "the caller was not identified: " + std::to_string(wrong) + " answer(s) wrong",
             left > 0 ? std::to_string(left) + " more failed identification(s) lock the holder out of offline unblock"
                      : std::string("the holder is now locked out; ") + kInPerson);
    }
    site.inventory.clear_identification_failures(holder);
  }

  Bytes response = compute_response(site.keystore.master(version), algorithm, r.card_id, version, challenge);
  // One inventory transaction around the audit entry and the count: if the inventory is locked, or the trail
  // cannot be written (full disk), no response is given, nothing is counted and nothing is audited as given.
  site.inventory.with_transaction([&] {
    site.inventory.record_offline_unblock(r.card_id, r.operator_name);
    site.audit({"", r.operator_name, "respond", r.card_id, holder, "ok", card ? "" : "card not in the inventory",
                {{"algorithm", crypto::info(algorithm).name}, {"key_version", std::to_string(version)}}});
  });
  return {r.card_id, codes::format(r.card_id, response), rules.unblocks_per_period - used - 1};
}

}  // namespace cardctl::lifecycle
