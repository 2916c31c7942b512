#include "cardctl/respond.hpp"

#include <algorithm>

#include "cardctl/error.hpp"
#include "cardctl/ledger.hpp"
#include "cardctl/offline_unblock.hpp"

namespace cardctl::lifecycle {

namespace {
namespace w = audit_words;
const char* kInPerson = "the holder must come in person with ID to have the card unblocked (or use the PUK)";

struct Refusal {
  std::string rule, message, hint = kInPerson;
};

const char* action_of(const RespondRequest& r) { return r.disclose_puk ? w::puc : w::respond; }

[[noreturn]] void refuse(Site& site, const RespondRequest& r, const std::string& holder, const Refusal& why) {
  site.audit({"", r.operator_name, action_of(r), r.card_id, holder, "refused", why.rule, {}});
  throw Error(ErrorKind::policy, why.message, why.hint);
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

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out;
}

// Runs fn as one inventory transaction: the read of the trail, the check and the record cannot interleave with
// another operator's. Writers queue for the busy timeout; past it, the operator is told why.
template <class F>
auto serialised(Site& site, const std::string& card_id, F&& fn) {
  try {
    return site.inventory.with_transaction_result(std::forward<F>(fn));
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::conflict) throw;
    throw Error(ErrorKind::conflict, "another operator is answering for card " + card_id + " (the inventory stayed "
                                     "locked)", "try again in a moment; nothing was given or counted");
  }
}
}  // namespace

RespondResult respond(Site& site, const RespondRequest& r) {
  const auto& rules = site.policy.helpdesk;
  auto card = site.inventory.find_card(r.card_id);
  crypto::AdminAlgorithm algorithm;
  std::uint32_t version = 0;
  std::string holder;
  const char* act = action_of(r);
  if (!card) {
    if (!rules.allow_unknown_cards || r.disclose_puk)
      refuse(site, r, "", {"unknown card", "card " + r.card_id + " is not in the inventory, and the policy does not "
                                           "allow responses for unknown cards",
                           "check the card id the caller read out (cardctl challenge shows it)"});
    if (!r.algorithm || !r.key_version)
      throw Error(ErrorKind::usage, "card " + r.card_id + " is not in the inventory",
                  "give its admin-key algorithm and key version: --algorithm ALG --key-version N");
    algorithm = *r.algorithm;
    version = *r.key_version;
  } else {
    holder = card->holder_id;
    if (card->state != store::CardState::active)
      refuse(site, r, holder, {"card " + std::string(store::to_string(card->state)),
                               "card " + r.card_id + " is " + store::to_string(card->state) + ": no unblock for it",
                               "a revoked or retired card is not unblocked; issue a new one"});
    auto tpl = site.policy.templates.find(card->template_name);
    // The PUK is the way back for every card; the admin-key response only for templates that allow it.
    if (!r.disclose_puk && (tpl == site.policy.templates.end() || !tpl->second.offline_unblock))
      refuse(site, r, holder, {"offline unblock disabled",
                               "offline unblock is not allowed for cards of template '" + card->template_name + "'",
                               "the holder can unblock with the PUK: cardctl puc show " + r.card_id + " discloses it"});
    if (!r.disclose_puk && !tpl->second.diversify)
      throw Error(ErrorKind::unsupported, "card " + r.card_id + " uses a fixed admin key; offline unblock needs a "
                                          "diversified one", kInPerson);
    const int max_days = tpl != site.policy.templates.end() ? tpl->second.offline_unblock_days : 0;
    if (max_days > 0 &&
        card->issued_at < store::iso8601(site.inventory.now_point() - std::chrono::hours(24 * max_days)))
      refuse(site, r, holder, {"offline unblock expired",
                               "card " + r.card_id + " was issued on " + card->issued_at.substr(0, 10) +
                                   "; offline unblock for cards of template '" + card->template_name + "' ends after " +
                                   std::to_string(max_days) + " days",
                               "the holder comes in person (cardctl unblock --in-person), and the card is replaced"});
    algorithm = card->algorithm;
    version = card->key_version;
  }
  // The check binds the card id: a wrong card or a misheard digit is caught before anything is read out.
  Bytes response;
  std::string digest;  // the same challenge answered twice counts once
  if (!r.disclose_puk) {
    Bytes challenge = parse_code(r.challenge, r.card_id, algorithm, "challenge", r.no_check);
    response = compute_response(site.master_prf(version), algorithm, r.card_id, version, challenge);
    const std::string bound = r.card_id + "/" + std::to_string(version) + "/" + to_hex(challenge);
    digest = to_hex(ByteView(crypto::sha256(view(bound))).first(16));
  }

  const std::string period_start = site.helpdesk_period_start();
  const bool identify = card && rules.questions_asked > 0;
  Bytes session_bytes(8);
  r.random(session_bytes);
  const std::string session = to_hex(session_bytes);

  // Checks the limit (and, before identification, the lockout) against the verified trail.
  auto check_limits = [&](const Ledger& ledger, bool lockout) -> std::optional<Refusal> {
    int used = ledger.responses(r.card_id, period_start);
    if (used >= rules.unblocks_per_period && !ledger.challenge_counted(r.card_id, digest, period_start))
      return Refusal{"offline unblock limit",
                     "card " + r.card_id + " has had " + std::to_string(used) + " offline unblocks in the last " +
                         std::to_string(rules.period_days) + " days; the policy allows " +
                         std::to_string(rules.unblocks_per_period)};
    if (lockout && ledger.identification_failures(holder, period_start) >= rules.lockout_after_failures)
      return Refusal{"holder locked out",
                     "holder " + holder + " is locked out of offline unblock: " +
                         std::to_string(rules.lockout_after_failures) +
                         " identifications failed or were left unfinished in the period"};
    return std::nullopt;
  };

  if (identify) {
    if (holder.empty())
      refuse(site, r, holder, {"no holder", "card " + r.card_id + " has no holder to identify, and the policy asks "
                                            "security questions"});
    auto enrolled = site.inventory.enrolled_questions(holder);
    if (static_cast<int>(enrolled.size()) < rules.questions_asked)
      refuse(site, r, holder, {"not enough answers enrolled",
                               "holder " + holder + " has enrolled " + std::to_string(enrolled.size()) +
                                   " security answers; the policy asks " + std::to_string(rules.questions_asked)});
    if (!r.ask) throw Error(ErrorKind::usage, "the security questions must be asked (no way to ask them here)");
    auto asked = pick(enrolled, rules.questions_asked, r.random);
    // The questions are recorded before they are asked, and the identification counts as failed until it
    // succeeds: hanging up cannot re-roll them.
    auto refusal = serialised(site, r.card_id, [&] {
      auto why = check_limits(Ledger(site.verified_audit()), true);
      site.audit(why ? store::AuditEntry{"", r.operator_name, act, r.card_id, holder, "refused", why->rule, {}}
                     : store::AuditEntry{"", r.operator_name, w::identify, r.card_id, holder, w::started, "",
                                         {{w::session, session}, {"questions", join(asked)}}});
      return why;
    });
    if (refusal) throw Error(ErrorKind::policy, refusal->message, refusal->hint);
    bool all_right = true;
    for (const auto& id : asked) {
      auto q = std::find_if(rules.questions.begin(), rules.questions.end(), [&](const auto& x) { return x.id == id; });
      policy::Question question = q != rules.questions.end() ? *q : policy::Question{id, id};
      SecureString answer = r.ask(question);
      if (!site.inventory.verify_answer(holder, id, std::string_view(answer.data(), answer.size()))) all_right = false;
    }
    if (!all_right) {
      int failures = serialised(site, r.card_id, [&] {
        site.audit({"", r.operator_name, w::identify, r.card_id, holder, "failed", "caller not identified",
                    {{w::session, session}}});
        return Ledger(site.verified_audit()).identification_failures(holder, period_start);
      });
      int left = std::max(0, rules.lockout_after_failures - failures);
      // How many answers were right is not said: that would tell a caller which ones to keep.
      throw Error(ErrorKind::policy, "the caller was not identified",
                  left > 0 ? std::to_string(left) + " more failed identification(s) lock the holder out of offline unblock"
                           : std::string("the holder is now locked out; ") + kInPerson);
    }
  }

  // The response is reserved (counted) before it is shown, and recorded as given only once it was written out.
  int left = 0, rejected_reports = 0;
  bool repeated = false;
  auto refusal = serialised(site, r.card_id, [&] {
    Ledger ledger(site.verified_audit());
    auto why = check_limits(ledger, false);
    if (identify)
      site.audit({"", r.operator_name, w::identify, r.card_id, holder, "ok", "", {{w::session, session}}});
    if (why) {
      site.audit({"", r.operator_name, act, r.card_id, holder, "refused", why->rule, {}});
      return why;
    }
    repeated = ledger.challenge_counted(r.card_id, digest, period_start);
    store::AuditEntry reserve{"", r.operator_name, act, r.card_id, holder, w::reserved,
                              card ? "" : "card not in the inventory",
                              {{w::session, session},
                               {"algorithm", crypto::info(algorithm).name},
                               {"key_version", std::to_string(version)}}};
    if (!digest.empty()) reserve.details.emplace_back(w::challenge, digest);
    site.audit(reserve);
    // This one is reserved now (unless the same challenge was counted already).
    left = rules.unblocks_per_period - ledger.responses(r.card_id, period_start) - (repeated ? 0 : 1);
    rejected_reports = ledger.rejected_reports(r.card_id);
    return why;
  });
  if (refusal) throw Error(ErrorKind::policy, refusal->message, refusal->hint);

  std::string name;
  if (!holder.empty())
    if (auto h = site.inventory.find_holder(holder)) name = h->name;
  RespondResult result{r.card_id, holder, name, algorithm, version,
                       r.disclose_puk ? codes::Formatted{} : codes::format(r.card_id, response), std::max(0, left),
                       std::nullopt, rejected_reports, repeated};
  if (r.disclose_puk) result.puk = site.inventory.load_puk(r.card_id, site.keystore.escrow_key());
  try {
    if (r.deliver) r.deliver(result);
  } catch (const Error& e) {
    site.audit({"", r.operator_name, act, r.card_id, holder, w::undelivered, e.what(), {{w::session, session}}});
    throw;
  }
  try {
    site.audit({"", r.operator_name, act, r.card_id, holder, r.disclose_puk ? "disclosed" : "ok", "",
                {{w::session, session}}});
  } catch (const Error& e) {
    throw Error(ErrorKind::io, std::string("the response was shown, but recording that it was given failed: ") + e.what(),
                "it is counted against the card's limit (recorded as reserved); free some space");
  }
  return result;
}

int report_rejected_response(Site& site, const std::string& card_id, const std::string& operator_name) {
  auto card = site.inventory.find_card(card_id);
  if (!card)
    throw Error(ErrorKind::not_found, "card " + card_id + " is not in the inventory",
                "check the card id the holder read out");
  return serialised(site, card_id, [&] {
    site.audit({"", operator_name, w::respond, card_id, card->holder_id, w::rejected_by_card,
                "the card rejected a correctly read response: its admin key may have been changed", {}});
    return Ledger(site.verified_audit()).rejected_reports(card_id);
  });
}

}  // namespace cardctl::lifecycle
