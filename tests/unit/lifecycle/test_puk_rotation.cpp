// PUK rotation and the in-person unblock in the lifecycle layer (cardctl-puc(1) ROTATION, cardctl-unblock(1) IN
// PERSON) on in-memory reference cards: a rotation escrows the next PUK before the card changes, so one cut off at
// any APDU (the command lost, or its answer lost) is finished by running it again; the tries it may need are
// checked before any CHANGE REFERENCE DATA; a PUK changed by its holder is reported and nothing is kept. In person:
// the admin key or the escrowed PUK sets the new PIN after the ID check, and every refusal comes before any write.
#include <doctest/doctest.h>

#include <optional>
#include <utility>
#include <vector>

#include "card_connection.hpp"
#include "cardctl/apdu.hpp"
#include "cardctl/card_admin.hpp"
#include "cardctl/error.hpp"
#include "cardctl/in_person.hpp"
#include "cardctl/issue.hpp"
#include "cardctl/ledger.hpp"
#include "cardctl/puk_rotation.hpp"
#include "cardctl/sim_card.hpp"
#include "test_ca.hpp"
#include "test_site.hpp"

using namespace cardctl;
using namespace cardctl::lifecycle;

namespace {
namespace ins = apdu::ins;
constexpr std::uint8_t puk_reference = 0x81;  // SP 800-73-4 Part 2 Table 4: the PUK's key reference (P2)

struct World : testing::TestSite {
  World() : TestSite("cardctl-puk") {}
  ByteView escrow() { return site->keystore.escrow_key(); }
  Puk escrowed(const std::string& card) { return site->inventory.load_puk(card, escrow()); }
  std::optional<Puk> next(const std::string& card) { return site->inventory.load_next_puk(card, escrow()); }
  std::vector<store::AuditEntry> audit(const std::string& card, const std::string& action) {
    return store::query_audit(paths.audit(), {"", "", card, action, ""});
  }
};

IssueRequest request(const std::string& template_name, const std::string& holder) {
  IssueRequest r;
  r.template_name = template_name;
  r.holder_id = holder;
  r.holder_name = "Alice Example";
  r.answers = {{"first-school", SecureString("Elm Primary")}, {"first-street", SecureString("Oak Road")},
               {"first-concert", SecureString("The Cure")}};
  r.operator_name = "issuer";
  r.certificates.ca = &testing::test_ca();
  return r;
}

// A connection onto a reference card that records each command's header (never its data: PINs and PUKs) and
// removes the card at APDU position `remove_at` (0-based): before the card sees it, or, with `answer_lost`, after
// the card has processed it but before its answer arrives.
class Probe : public transport::Connection {
 public:
  explicit Probe(sim::ReferenceCard& card) : card_(&card) {}
  struct Header {
    std::uint8_t ins = 0, p1 = 0, p2 = 0;
  };
  std::vector<Header> sent;
  int remove_at = -1;
  bool answer_lost = false;

  apdu::Response transmit(ByteView command) override {
    const int position = count_++;
    if (remove_at >= 0 && position > remove_at) throw Error(ErrorKind::card_removed, "the card was removed");
    if (remove_at == position && !answer_lost) throw Error(ErrorKind::card_removed, "the card was removed");
    sent.push_back({command[1], command[2], command[3]});
    Bytes answer = card_->process(command);
    if (remove_at == position) throw Error(ErrorKind::card_removed, "the card was removed, its answer lost");
    return apdu::parse_response(answer);
  }
  void begin_transaction() override {}
  void end_transaction(transport::Disposition d) override {
    if (d == transport::Disposition::reset) card_->reset();
  }
  void disconnect(transport::Disposition d) override {
    if (d == transport::Disposition::reset) card_->reset();
  }
  const std::string& reader() const override { return name_; }
  Bytes atr() const override { return card_->atr(); }

  int count(std::uint8_t instruction) const {
    int n = 0;
    for (const auto& h : sent) n += h.ins == instruction ? 1 : 0;
    return n;
  }
  int puk_changes() const {
    int n = 0;
    for (const auto& h : sent) n += h.ins == ins::change_reference && h.p2 == puk_reference ? 1 : 0;
    return n;
  }
  // The instructions sent, in order.
  std::vector<std::uint8_t> instructions() const {
    std::vector<std::uint8_t> out;
    for (const auto& h : sent) out.push_back(h.ins);
    return out;
  }

 private:
  sim::ReferenceCard* card_;
  int count_ = 0;
  std::string name_ = "probe";
};

// A reference card issued in the world's site.
struct IssuedCard {
  sim::ReferenceCard card;
  std::string id;
  IssuedCard(World& w, std::uint32_t serial, const std::string& template_name = "staff", bool admin_pin_reset = true)
      : card(sim::ReferenceCard::factory({.serial = serial, .admin_pin_reset = admin_pin_reset})),
        id(std::to_string(serial)) {
    testing::CardConnection conn(card);
    piv::PivSession s(conn);
    issue_card(*w.site, s, request(template_name, "holder-" + id));
  }
  int puk_left() const { return card.retry_counters().puk_left; }
  bool puk_full() const { return card.retry_counters().puk_left == card.retry_counters().puk_max; }
  int pin_left() const { return card.retry_counters().pin_left; }
  bool pin_full() const { return card.retry_counters().pin_left == card.retry_counters().pin_max; }

  PukRotationResult rotate(World& w, bool force = false, Probe* probe = nullptr) {
    Probe own(card);
    Probe& p = probe ? *probe : own;
    piv::PivSession s(p);
    return rotate_puk(*w.site, s, "desk", force);
  }
  // Spends PUK tries with a wrong PUK until `left` remain.
  void spend_puk_tries(int left) {
    testing::CardConnection conn(card);
    piv::PivSession s(conn);
    const Puk wrong = Puk::from_text("00000000");
    while (puk_left() > left) CHECK_THROWS_AS(s.change_puk(wrong, wrong), Error);
  }
  // Whether the card takes `puk` (CHANGE REFERENCE DATA to itself: a right PUK restores the counter; a wrong one
  // spends a try).
  bool takes(const Puk& puk) {
    testing::CardConnection conn(card);
    piv::PivSession s(conn);
    try {
      s.change_puk(puk, puk);
      return true;
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::wrong_pin) throw;
      return false;
    }
  }
  void block_pin() {
    testing::CardConnection conn(card);
    piv::PivSession s(conn);
    while (pin_left() > 0) CHECK_THROWS_AS(s.verify_pin(Pin::from_text("000000")), Error);
  }
  // What reading the card id sends (the in-person checks read nothing else from the card).
  std::vector<std::uint8_t> card_id_instructions() {
    Probe p(card);
    piv::PivSession s(p);
    (void)s.card_id();
    return p.instructions();
  }
};

bool same(const Puk& a, const Puk& b) { return a.text() == b.text(); }

store::AuditEntry last(const std::vector<store::AuditEntry>& entries) {
  REQUIRE_FALSE(entries.empty());
  return entries.back();
}

InPersonRequest in_person(std::string id_check) {
  InPersonRequest r;
  r.operator_name = "desk";
  r.id_check = std::move(id_check);
  return r;
}
}  // namespace

TEST_CASE("rotate_puk: the card takes a new escrowed PUK, the old one is gone, and it is audited") {
  World w;
  IssuedCard c(w, 5560001);
  Puk old = w.escrowed(c.id);
  REQUIRE(c.takes(old));

  Probe probe(c.card);
  auto result = c.rotate(w, false, &probe);
  CHECK(result.card_id == c.id);
  CHECK(result.holder_id == "holder-" + c.id);
  CHECK_FALSE(result.resumed);
  CHECK(probe.puk_changes() == 1);  // no try spent
  CHECK(c.puk_full());
  CHECK_FALSE(w.next(c.id).has_value());
  Puk now = w.escrowed(c.id);
  CHECK_FALSE(same(now, old));
  CHECK(now.size() == 8);  // the staff template's rules

  auto rotated = last(w.audit(c.id, audit_words::puc));
  CHECK(rotated.outcome == audit_words::rotated);
  CHECK(rotated.operator_name == "desk");
  CHECK(rotated.detail("resumed").empty());

  c.block_pin();
  {
    testing::CardConnection conn(c.card);
    piv::PivSession s(conn);
    CHECK_THROWS_AS(s.reset_pin_with_puk(old, Pin::from_text("482917")), Error);
    CHECK(c.puk_left() == 2);
    s.reset_pin_with_puk(w.escrowed(c.id), Pin::from_text("482917"));
    CHECK(c.puk_full());
    s.verify_pin(Pin::from_text("482917"));
  }
}

TEST_CASE("rotate_puk resumes a rotation cut off after the card took the new PUK") {
  World w;
  IssuedCard c(w, 5560002);
  Puk old = w.escrowed(c.id);
  Puk next = Puk::from_text("13572468");
  w.site->inventory.store_next_puk(c.id, next, w.escrow());
  {
    testing::CardConnection conn(c.card);
    piv::PivSession s(conn);
    s.change_puk(old, next);
  }
  Probe probe(c.card);
  auto result = c.rotate(w, false, &probe);
  CHECK(result.resumed);
  CHECK(probe.puk_changes() == 2);  // the old PUK (refused, one try), then the next one
  CHECK(same(w.escrowed(c.id), next));
  CHECK_FALSE(w.next(c.id).has_value());
  CHECK(c.puk_full());
  auto rotated = last(w.audit(c.id, audit_words::puc));
  CHECK(rotated.outcome == audit_words::rotated);
  CHECK(rotated.detail("resumed") == "yes");
  CHECK(c.takes(next));
  CHECK_FALSE(c.takes(old));
}

TEST_CASE("rotate_puk resumes a rotation cut off before the card changed, without spending a try") {
  World w;
  IssuedCard c(w, 5560003);
  Puk old = w.escrowed(c.id);
  Puk next = Puk::from_text("24681357");
  w.site->inventory.store_next_puk(c.id, next, w.escrow());
  Probe probe(c.card);
  auto result = c.rotate(w, false, &probe);
  CHECK(result.resumed);
  CHECK(probe.puk_changes() == 1);  // the old PUK was right the first time
  CHECK(c.puk_full());
  CHECK(same(w.escrowed(c.id), next));
  CHECK_FALSE(w.next(c.id).has_value());
  CHECK(last(w.audit(c.id, audit_words::puc)).detail("resumed") == "yes");
  CHECK(c.takes(next));
  CHECK_FALSE(c.takes(old));
}

// The fault sweep (cardctl-puc(1), ROTATION): the card is removed at every APDU position of one rotation, either
// before the card sees the command or after it processed it with the answer lost. A second rotation with the card
// back finishes, and the card's PUK is the escrowed one.
TEST_CASE("fault sweep: a rotation cut off at any APDU is finished by running it again") {
  for (bool answer_lost : {false, true}) {
    World w;
    IssuedCard c(w, answer_lost ? 5560005 : 5560004);
    int positions = 0;
    for (int cut = 0;; ++cut) {
      INFO((answer_lost ? "answer lost" : "command lost") << " at APDU " << cut);
      REQUIRE_FALSE(w.next(c.id).has_value());  // each round starts from a finished rotation
      Puk before = w.escrowed(c.id);
      bool done = false;
      try {
        Probe probe(c.card);
        probe.remove_at = cut;
        probe.answer_lost = answer_lost;
        piv::PivSession s(probe);
        rotate_puk(*w.site, s, "desk", false);
        done = true;
      } catch (const Error& e) {
        REQUIRE(e.kind() == ErrorKind::card_removed);
      }
      c.card.reset();
      if (done) break;
      ++positions;
      // Nothing is lost in between: the card has the escrowed PUK, or the next one, which is escrowed too.
      CHECK(same(w.escrowed(c.id), before));
      const bool pending = w.next(c.id).has_value();
      auto result = c.rotate(w);
      CHECK(result.resumed == pending);
      CHECK_FALSE(w.next(c.id).has_value());
      CHECK(c.puk_full());
      CHECK_FALSE(same(w.escrowed(c.id), before));
      CHECK(c.takes(w.escrowed(c.id)));
      CHECK(last(w.audit(c.id, audit_words::puc)).outcome == audit_words::rotated);
      REQUIRE(cut < 50);
    }
    CHECK(positions >= 3);  // SELECT, the card id, the PUK counter, CHANGE REFERENCE DATA
    CHECK(c.takes(w.escrowed(c.id)));
  }
}

TEST_CASE("rotate_puk refuses, without force, when the card has fewer PUK tries than it may need") {
  World w;
  SUBCASE("one try left: refused before any CHANGE REFERENCE DATA; --force goes ahead") {
    IssuedCard c(w, 5560006);
    Puk old = w.escrowed(c.id);
    c.spend_puk_tries(1);
    REQUIRE(c.puk_left() == 1);
    Probe probe(c.card);
    try {
      c.rotate(w, false, &probe);
      FAIL("expected a refusal");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::policy);
      CHECK(std::string(e.what()).find("1 try left") != std::string::npos);
      CHECK(e.hint().find("--force") != std::string::npos);
    }
    CHECK(probe.count(ins::change_reference) == 0);
    CHECK(c.puk_left() == 1);
    CHECK_FALSE(w.next(c.id).has_value());
    CHECK(same(w.escrowed(c.id), old));
    CHECK(c.rotate(w, true).card_id == c.id);
    CHECK(c.puk_full());
    CHECK(c.takes(w.escrowed(c.id)));
  }
  SUBCASE("a next PUK escrowed and two tries left: refused (finishing may need three)") {
    IssuedCard c(w, 5560007);
    Puk next = Puk::from_text("97531864");
    w.site->inventory.store_next_puk(c.id, next, w.escrow());
    c.spend_puk_tries(2);
    REQUIRE(c.puk_left() == 2);
    Probe probe(c.card);
    try {
      c.rotate(w, false, &probe);
      FAIL("expected a refusal");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::policy);
      CHECK(std::string(e.what()).find("3 tries") != std::string::npos);
    }
    CHECK(probe.count(ins::change_reference) == 0);
    CHECK(c.puk_left() == 2);
    REQUIRE(w.next(c.id).has_value());
    CHECK(same(*w.next(c.id), next));  // kept for the run that finishes it
    CHECK(c.rotate(w, true).resumed);
    CHECK(c.puk_full());
    CHECK(same(w.escrowed(c.id), next));
  }
  SUBCASE("a blocked PUK: Error(blocked), nothing sent") {
    IssuedCard c(w, 5560008);
    c.spend_puk_tries(0);
    Probe probe(c.card);
    try {
      c.rotate(w, true, &probe);
      FAIL("expected a refusal");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::blocked);
    }
    CHECK(probe.count(ins::change_reference) == 0);
    CHECK_FALSE(w.next(c.id).has_value());
  }
}

TEST_CASE("rotate_puk on a card whose PUK its holder changed: wrong_pin, escrow kept, no next PUK, audited") {
  World w;
  IssuedCard c(w, 5560009);
  Puk old = w.escrowed(c.id);
  Puk own = Puk::from_text("87654321");
  {
    testing::CardConnection conn(c.card);
    piv::PivSession s(conn);
    s.change_puk(old, own);
  }
  Probe probe(c.card);
  try {
    c.rotate(w, false, &probe);
    FAIL("expected wrong_pin");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::wrong_pin);
    CHECK(std::string(e.what()).find("did not accept its escrowed PUK") != std::string::npos);
    CHECK(e.hint().find("changed the PUK") != std::string::npos);
  }
  CHECK(probe.puk_changes() == 1);  // one try, not two
  CHECK(c.puk_left() == 2);
  CHECK(same(w.escrowed(c.id), old));
  CHECK_FALSE(w.next(c.id).has_value());
  auto failed = last(w.audit(c.id, audit_words::puc));
  CHECK(failed.outcome == "failed");
  CHECK(failed.reason == "the card's PUK is not the escrowed one");
  CHECK(c.takes(own));  // the card still has the holder's PUK
}

TEST_CASE("rotate_puk refuses cards the inventory does not know or that are not active") {
  World w;
  SUBCASE("unknown") {
    auto card = sim::ReferenceCard::factory({.serial = 5560010});
    Probe probe(card);
    piv::PivSession s(probe);
    CHECK_THROWS_WITH_AS(rotate_puk(*w.site, s, "desk", false), doctest::Contains("not in the inventory"), Error);
    CHECK(probe.count(ins::change_reference) == 0);
  }
  SUBCASE("revoked") {
    IssuedCard c(w, 5560011);
    revoke_card(*w.site, c.id, "lost", "desk");
    Probe probe(c.card);
    try {
      c.rotate(w, true, &probe);
      FAIL("expected a refusal");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::policy);
    }
    CHECK(probe.count(ins::change_reference) == 0);
  }
}

TEST_CASE("puk_rotation_due and record_puk_use follow the trail and the policy") {
  World w;
  IssuedCard c(w, 5560012);
  const std::string holder = "holder-" + c.id;
  auto ledger_due = [&] { return Ledger(w.site->verified_audit()).puk_rotation_due(c.id); };
  CHECK_FALSE(puk_rotation_due(*w.site, c.id));
  CHECK_FALSE(ledger_due());

  w.site->audit({"", "desk", audit_words::puc, "99999999", "other", audit_words::disclosed, "", {}});
  CHECK_FALSE(puk_rotation_due(*w.site, c.id));  // another card's PUK

  w.site->audit({"", "desk", audit_words::puc, c.id, holder, audit_words::disclosed, "", {}});
  CHECK(puk_rotation_due(*w.site, c.id));
  CHECK(ledger_due());
  c.rotate(w);
  CHECK_FALSE(puk_rotation_due(*w.site, c.id));
  CHECK_FALSE(ledger_due());

  CHECK(record_puk_use(*w.site, c.id, "desk"));
  CHECK(last(w.audit(c.id, audit_words::puc)).outcome == audit_words::used);
  CHECK(puk_rotation_due(*w.site, c.id));
  c.rotate(w);
  CHECK_FALSE(puk_rotation_due(*w.site, c.id));

  w.site->policy.helpdesk.rotate_disclosed_puk = false;
  CHECK_FALSE(record_puk_use(*w.site, c.id, "desk"));
  CHECK_FALSE(puk_rotation_due(*w.site, c.id));
  CHECK(ledger_due());  // the trail still says so; the policy does not ask for it

  CHECK_THROWS_WITH_AS(record_puk_use(*w.site, "99999999", "desk"), doctest::Contains("not in the inventory"), Error);

  // A card issued again after its PUK was disclosed has a new PUK.
  using store::AuditEntry;
  Ledger reissued({AuditEntry{"", "desk", audit_words::puc, "1", "h", audit_words::disclosed, "", {}},
                   AuditEntry{"", "issuer", "issue", "1", "h", "ok", "", {}}});
  CHECK_FALSE(reissued.puk_rotation_due("1"));
  Ledger failed_issue({AuditEntry{"", "desk", audit_words::puc, "1", "h", audit_words::used, "", {}},
                       AuditEntry{"", "issuer", "issue", "1", "h", "failed", "", {}}});
  CHECK(failed_issue.puk_rotation_due("1"));
}

TEST_CASE("unblock_in_person with the admin key: the new PIN, a full counter, the ID check audited") {
  World w;
  IssuedCard c(w, 5560013);
  c.block_pin();
  Probe probe(c.card);
  InPersonPlan plan;
  {
    piv::PivSession s(probe);
    plan = unblock_in_person(*w.site, s, in_person("passport X1234567"), Pin::from_text("482917"));
  }
  CHECK(plan.card_id == c.id);
  CHECK(plan.holder_id == "holder-" + c.id);
  CHECK(plan.holder_name == "Alice Example");
  CHECK(plan.method == "admin-key");
  CHECK_FALSE(plan.over_limit);
  CHECK(probe.count(ins::general_authenticate) > 0);
  CHECK(probe.count(ins::reset_retry_counter) == 1);
  CHECK(c.pin_full());
  CHECK(c.puk_full());  // the PUK was not used
  {
    testing::CardConnection conn(c.card);
    piv::PivSession s(conn);
    s.verify_pin(Pin::from_text("482917"));
  }
  auto entry = last(w.audit(c.id, "unblock"));
  CHECK(entry.outcome == audit_words::in_person);
  CHECK(entry.operator_name == "desk");
  CHECK(entry.detail("id_check") == "passport X1234567");
  CHECK(entry.detail("method") == "admin-key");
  CHECK(entry.detail("over_limit").empty());
  CHECK(Ledger(w.site->verified_audit()).responses(c.id, "") == 0);  // not counted against the offline limit
}

TEST_CASE("unblock_in_person for a template without admin PIN reset uses the escrowed PUK") {
  World w;
  IssuedCard c(w, 5560014, "yubikey", false);
  Puk escrowed = w.escrowed(c.id);
  c.block_pin();
  Probe probe(c.card);
  InPersonPlan plan;
  {
    piv::PivSession s(probe);
    plan = unblock_in_person(*w.site, s, in_person("known personally"), Pin::from_text("kx4-29qa"));
  }
  CHECK(plan.method == "puk");
  CHECK(probe.count(ins::general_authenticate) == 0);
  REQUIRE(probe.count(ins::reset_retry_counter) == 1);
  for (const auto& h : probe.sent)
    if (h.ins == ins::reset_retry_counter) CHECK(h.p1 == 0x00);  // with the PUK, not P1=02
  CHECK(c.pin_full());
  CHECK(c.puk_full());
  CHECK(same(w.escrowed(c.id), escrowed));  // used, not rotated: it was never shown
  {
    testing::CardConnection conn(c.card);
    piv::PivSession s(conn);
    s.verify_pin(Pin::from_text("kx4-29qa"));
  }
  auto entry = last(w.audit(c.id, "unblock"));
  CHECK(entry.outcome == audit_words::in_person);
  CHECK(entry.detail("method") == "puk");
  CHECK(entry.detail("id_check") == "known personally");

  SUBCASE("the PUK's last try is not spent without force") {
    c.block_pin();
    c.spend_puk_tries(1);
    Probe second(c.card);
    piv::PivSession s(second);
    CHECK_THROWS_WITH_AS(unblock_in_person(*w.site, s, in_person("known personally"), Pin::from_text("kx4-29qb")),
                         doctest::Contains("1 try left"), Error);
    CHECK(second.count(ins::reset_retry_counter) == 0);
    CHECK(c.puk_left() == 1);
    CHECK(c.pin_left() == 0);
  }
}

TEST_CASE("unblock_in_person refusals come before anything is written to the card") {
  World w;
  IssuedCard c(w, 5560015);
  c.block_pin();
  const auto reads = c.card_id_instructions();
  auto refused = [&](const InPersonRequest& r, const std::string& pin, ErrorKind kind, const std::string& says) {
    Probe probe(c.card);
    piv::PivSession s(probe);
    try {
      unblock_in_person(*w.site, s, r, Pin::from_text(pin));
      FAIL("expected a refusal");
    } catch (const Error& e) {
      CHECK(e.kind() == kind);
      CHECK(std::string(e.what()).find(says) != std::string::npos);
      if (kind == ErrorKind::policy) CHECK_FALSE(e.hint().empty());  // what to do instead
    }
    CHECK(probe.count(ins::general_authenticate) == 0);
    CHECK(probe.count(ins::reset_retry_counter) == 0);
    CHECK(probe.count(ins::change_reference) == 0);
    CHECK(probe.count(ins::verify) == 0);
    CHECK(c.pin_left() == 0);
    return probe.instructions();
  };

  SUBCASE("a blank or multi-line ID check is a usage error") {
    for (const char* blank : {"", "   ", "\t"})
      refused(in_person(blank), "482917", ErrorKind::usage, "the ID check is required");
    refused(in_person("passport\nX1"), "482917", ErrorKind::usage, "");
    CHECK(w.audit(c.id, "unblock").empty());
  }
  SUBCASE("a PIN that breaks the template's rules: usage, after the checks and before any write") {
    CHECK(refused(in_person("passport X1"), "12ab56", ErrorKind::usage, "digits only") == reads);
    CHECK(refused(in_person("passport X1"), "123456", ErrorKind::usage, "too easy") == reads);
    CHECK(refused(in_person("passport X1"), "48291", ErrorKind::usage, "6 to 8") == reads);
    CHECK(w.audit(c.id, "unblock").empty());
  }
  SUBCASE("a revoked card") {
    revoke_card(*w.site, c.id, "lost", "desk");
    CHECK(refused(in_person("passport X1"), "482917", ErrorKind::policy, "is revoked") == reads);
    auto entry = last(w.audit(c.id, "unblock"));
    CHECK(entry.outcome == "refused");
    CHECK(entry.detail(audit_words::in_person) == "yes");
  }
  SUBCASE("over the offline limit, with helpdesk.in_person_over_limit = false") {
    w.site->policy.helpdesk.unblocks_per_period = 0;
    w.site->policy.helpdesk.in_person_over_limit = false;
    CHECK(refused(in_person("passport X1"), "482917", ErrorKind::policy, "in_person_over_limit = false") == reads);
    auto entry = last(w.audit(c.id, "unblock"));
    CHECK(entry.outcome == "refused");
    CHECK(entry.reason == "offline unblock limit");
  }
  SUBCASE("over the offline limit, allowed by the policy: unblocked and marked") {
    w.site->policy.helpdesk.unblocks_per_period = 0;
    testing::CardConnection conn(c.card);
    piv::PivSession s(conn);
    auto plan = unblock_in_person(*w.site, s, in_person("passport X1"), Pin::from_text("482917"));
    CHECK(plan.over_limit);
    CHECK(c.pin_full());
    CHECK(last(w.audit(c.id, "unblock")).detail("over_limit") == "yes");
  }
}
