// The helpdesk's view of the inventory through the lifecycle layer: find_cards and its filters, show_card (holder,
// offline-unblock count, history from the verified trail), revoke_card (audited, refused where it must be), and
// what the trail says about card states (Ledger::card_states, which `cardctl audit verify` compares).
#include <doctest/doctest.h>

#include <algorithm>

#include "card_connection.hpp"
#include "test_site.hpp"
#include "test_ca.hpp"
#include "cardctl/card_admin.hpp"
#include "cardctl/error.hpp"
#include "cardctl/issue.hpp"
#include "cardctl/ledger.hpp"
#include "cardctl/offline_unblock.hpp"
#include "cardctl/respond.hpp"
#include "cardctl/sim_card.hpp"

using namespace cardctl;
using namespace cardctl::lifecycle;

namespace {
struct World : testing::TestSite {
  World() : TestSite("cardctl-cards") {}
};

// A reference card issued in the world's site, and a connection to it.
struct IssuedCard {
  sim::ReferenceCard card;
  testing::CardConnection conn{card};
  IssuedCard(World& w, std::uint32_t serial, const std::string& holder, const std::string& tpl = "staff")
      : card(sim::ReferenceCard::factory({.serial = serial})) {
    IssueRequest r;
    r.template_name = tpl;
    r.holder_id = holder;
    r.holder_name = "Holder " + holder;
    r.answers = {{"first-school", SecureString("Elm Primary")}, {"first-street", SecureString("Oak Road")},
                 {"first-concert", SecureString("The Cure")}};
    r.operator_name = "issuer";
    r.certificates.ca = &testing::test_ca();
    piv::PivSession s(conn);
    issue_card(*w.site, s, std::move(r));
  }
};

SecureString right_answer(const policy::Question& q) {
  std::string a = q.id == "first-school" ? "Elm Primary" : q.id == "first-street" ? "Oak Road" : "The Cure";
  return SecureString(a.begin(), a.end());
}

// One offline unblock answered by the helpdesk for the card (its PIN blocked first).
void offline_unblock(World& w, IssuedCard& issued, const std::string& card_id) {
  piv::PivSession holder(issued.conn);
  for (int i = 0; i < 3; ++i) CHECK_THROWS_AS(holder.verify_pin(Pin::from_text("000000")), Error);
  auto pending = begin_offline_unblock(holder);
  RespondRequest rr;
  rr.card_id = card_id;
  rr.challenge = pending.code().display();
  rr.operator_name = "helpdesk-1";
  rr.ask = right_answer;
  respond(*w.site, rr);
}

std::vector<std::string> ids(const std::vector<store::CardRecord>& cards) {
  std::vector<std::string> out;
  for (const auto& c : cards) out.push_back(c.card_id);
  return out;
}

template <class F>
Error error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e;
  }
  FAIL("expected an error");
  return Error(ErrorKind::internal, "none");
}

bool contains(const std::string& haystack, const std::string& needle) { return haystack.find(needle) != std::string::npos; }
}  // namespace

TEST_CASE("find_cards: every card, or those of one state, holder or template") {
  World w;
  IssuedCard a(w, 5560001, "alice");
  IssuedCard b(w, 5560002, "alice", "yubikey");
  IssuedCard c(w, 5560003, "bob");
  w.site->inventory.add_card({"777", "bob", "staff", crypto::AdminAlgorithm::aes192, 1, store::CardState::pending, "", ""});

  CHECK(ids(find_cards(*w.site, {})) == std::vector<std::string>{"5560001", "5560002", "5560003", "777"});
  CHECK(ids(find_cards(*w.site, {store::CardState::active, "", ""})) ==
        std::vector<std::string>{"5560001", "5560002", "5560003"});
  CHECK(ids(find_cards(*w.site, {store::CardState::pending, "", ""})) == std::vector<std::string>{"777"});
  CHECK(find_cards(*w.site, {store::CardState::revoked, "", ""}).empty());
  CHECK(ids(find_cards(*w.site, {std::nullopt, "alice", ""})) == std::vector<std::string>{"5560001", "5560002"});
  CHECK(ids(find_cards(*w.site, {std::nullopt, "", "yubikey"})) == std::vector<std::string>{"5560002"});
  CHECK(ids(find_cards(*w.site, {store::CardState::active, "bob", "staff"})) == std::vector<std::string>{"5560003"});
  CHECK(find_cards(*w.site, {std::nullopt, "nobody", ""}).empty());
  auto first = find_cards(*w.site, {std::nullopt, "", "yubikey"}).front();
  CHECK(first.holder_id == "alice");
  CHECK(first.algorithm == crypto::AdminAlgorithm::tdes);
  CHECK(first.state == store::CardState::active);
}

TEST_CASE("show_card: holder, policy limit, the offline unblocks counted in the period, and the history") {
  World w;
  IssuedCard a(w, 5560011, "alice");
  IssuedCard b(w, 5560012, "bob");

  auto d = show_card(*w.site, "5560011");
  CHECK(d.card.card_id == "5560011");
  CHECK(d.card.template_name == "staff");
  CHECK(d.card.state == store::CardState::active);
  REQUIRE(d.holder);
  CHECK(d.holder->name == "Holder alice");
  CHECK(d.unblocks_used == 0);
  CHECK(d.unblocks_allowed == 3);
  CHECK(d.period_days == 30);
  REQUIRE(d.history.size() == 1);
  CHECK(d.history[0].action == "issue");
  CHECK(d.history[0].outcome == "ok");
  CHECK(d.history[0].operator_name == "issuer");
  CHECK(d.history[0].detail("template") == "staff");

  offline_unblock(w, a, "5560011");
  d = show_card(*w.site, "5560011");
  CHECK(d.unblocks_used == 1);
  // identify started and ok, respond reserved and ok (given), after the issue; oldest first
  REQUIRE(d.history.size() == 5);
  CHECK(d.history.front().action == "issue");
  CHECK(d.history.back().action == "respond");
  CHECK(d.history.back().outcome == "ok");
  CHECK(std::is_sorted(d.history.begin(), d.history.end(), [](const auto& x, const auto& y) { return x.seq < y.seq; }));
  CHECK(show_card(*w.site, "5560012").unblocks_used == 0);  // another card's count is its own
  CHECK(show_card(*w.site, "5560012").history.size() == 1);

  auto e = error_of([&] { show_card(*w.site, "99999999"); });
  CHECK(e.kind() == ErrorKind::not_found);
  CHECK(contains(e.what(), "99999999"));
  CHECK(contains(e.hint(), "cardctl list"));
}

TEST_CASE("revoke_card: active to revoked with the reason audited; respond refuses the card afterwards") {
  World w;
  IssuedCard a(w, 5560021, "alice");

  for (const char* blank : {"", "   ", "\t"}) {
    auto e = error_of([&] { revoke_card(*w.site, "5560021", blank, "helpdesk-1"); });
    CHECK(e.kind() == ErrorKind::usage);
  }
  CHECK(error_of([&] { revoke_card(*w.site, "5560021", "lost\nstolen", "helpdesk-1"); }).kind() == ErrorKind::usage);
  CHECK(w.site->inventory.find_card("5560021")->state == store::CardState::active);

  revoke_card(*w.site, "5560021", "  lost on the train ", "helpdesk-1");
  CHECK(w.site->inventory.find_card("5560021")->state == store::CardState::revoked);
  auto d = show_card(*w.site, "5560021");
  CHECK(d.card.state == store::CardState::revoked);
  REQUIRE(d.history.size() == 2);
  const auto& entry = d.history.back();
  CHECK(entry.action == "revoke");
  CHECK(entry.outcome == "ok");
  CHECK(entry.operator_name == "helpdesk-1");
  CHECK(entry.holder_id == "alice");
  CHECK(entry.detail("reason") == "lost on the train");

  // The trail and the inventory agree (what `cardctl audit verify` checks).
  auto states = Ledger(w.site->verified_audit()).card_states();
  CHECK(states.at("5560021") == store::CardState::revoked);
  CHECK(w.site->inventory.check_rows().empty());

  auto again = error_of([&] { revoke_card(*w.site, "5560021", "again", "helpdesk-1"); });
  CHECK(again.kind() == ErrorKind::policy);
  CHECK(contains(again.what(), "already revoked"));
  CHECK(show_card(*w.site, "5560021").history.size() == 2);  // a refusal changes nothing

  piv::PivSession holder(a.conn);
  for (int i = 0; i < 3; ++i) CHECK_THROWS_AS(holder.verify_pin(Pin::from_text("000000")), Error);
  auto pending = begin_offline_unblock(holder);
  RespondRequest rr;
  rr.card_id = "5560021";
  rr.challenge = pending.code().display();
  rr.operator_name = "helpdesk-1";
  rr.ask = right_answer;
  auto refused = error_of([&] { respond(*w.site, rr); });
  CHECK(refused.kind() == ErrorKind::policy);
  CHECK(contains(refused.what(), "revoked"));
}

TEST_CASE("revoke_card refuses pending, retired and unknown cards") {
  World w;
  w.site->inventory.add_card({"801", "", "staff", crypto::AdminAlgorithm::aes192, 1, store::CardState::pending, "", ""});
  w.site->inventory.add_card({"802", "", "staff", crypto::AdminAlgorithm::aes192, 1, store::CardState::pending, "", ""});
  w.site->inventory.set_card_state("802", store::CardState::retired);

  auto pending = error_of([&] { revoke_card(*w.site, "801", "lost", "op"); });
  CHECK(pending.kind() == ErrorKind::policy);
  CHECK(std::string(pending.what()) == "card 801 was never finished; retire it instead (cardctl retire 801)");
  CHECK(w.site->inventory.find_card("801")->state == store::CardState::pending);

  auto retired = error_of([&] { revoke_card(*w.site, "802", "lost", "op"); });
  CHECK(retired.kind() == ErrorKind::policy);
  CHECK(contains(retired.what(), "already retired"));

  auto unknown = error_of([&] { revoke_card(*w.site, "803", "lost", "op"); });
  CHECK(unknown.kind() == ErrorKind::not_found);
  CHECK(contains(unknown.hint(), "cardctl list"));

  auto revokes = store::query_audit(w.paths.audit(), {"", "", "", "revoke", ""});
  CHECK(revokes.empty());
}

TEST_CASE("Ledger::card_states: issue, revoke and retire entries that succeeded set a card's state") {
  auto entry = [](std::string action, std::string card, std::string outcome) {
    return store::AuditEntry{"2026-11-01T00:00:00Z", "op", std::move(action), std::move(card), "h", std::move(outcome), "", {}};
  };
  Ledger ledger({entry("init", "", "ok"), entry("issue", "1", "ok"), entry("issue", "2", "ok"), entry("issue", "3", "ok"),
                 entry("revoke", "1", "ok"), entry("revoke", "2", "refused"), entry("retire", "3", "ok"),
                 entry("respond", "2", "ok"), entry("issue", "4", "failed")});
  auto states = ledger.card_states();
  CHECK(states.size() == 3);
  CHECK(states.at("1") == store::CardState::revoked);
  CHECK(states.at("2") == store::CardState::active);
  CHECK(states.at("3") == store::CardState::retired);
  CHECK(states.count("4") == 0);
}

TEST_CASE("Ledger::responses: a PUK exported for delivery is not counted against the offline-unblock limit") {
  auto entry = [](std::string action, std::string outcome, std::string session = "") {
    store::AuditEntry e{"2026-11-01T00:00:00Z", "op", std::move(action), "1", "h", std::move(outcome), "", {}};
    if (!session.empty()) e.details.push_back({audit_words::session, session});
    return e;
  };
  Ledger ledger({entry("issue", "ok"), entry(audit_words::puc, audit_words::exported),
                 entry(audit_words::puc, audit_words::exported), entry(audit_words::puc, audit_words::reserved, "s1"),
                 entry(audit_words::puc, "disclosed", "s1")});
  CHECK(ledger.responses("1", "") == 1);
  CHECK(Ledger({entry(audit_words::puc, audit_words::exported)}).responses("1", "") == 0);
}
