// The SO token in the lifecycle layer (cardctl-init(1) SO TOKEN, cardctl-so-unblock(1)): the key's algorithm follows
// the card; a weak TDES key is drawn again; the typed-back check; issuance on a reference card, audited without
// the key; a removal at every APDU position leaves a card that is issued again; so-unblock with the right key sets
// the PIN, with a wrong one changes nothing.
#include <doctest/doctest.h>

#include "card_connection.hpp"
#include "cardctl/error.hpp"
#include "cardctl/sim_card.hpp"
#include "cardctl/so_token.hpp"
#include "test_site.hpp"

using namespace cardctl;
using namespace cardctl::lifecycle;

namespace {
struct World : testing::TestSite {
  World() : TestSite("cardctl-so") {}
};

const Pin& so_pin() {
  static const Pin pin = Pin::from_text("Sx9!kq2");
  return pin;
}

// Issues the token on card; returns the SO key.
AdminKey issue(World& w, sim::ReferenceCard& card, SoTokenSurvey* out = nullptr) {
  testing::CardConnection conn(card);
  piv::PivSession s(conn);
  auto survey = survey_so_token(s, &*w.site);
  AdminKey key = generate_so_key(survey.so_algorithm);
  issue_so_token(*w.site, s, survey, key, so_pin(), {.operator_name = "owner"});
  if (out) *out = survey;
  return key;
}

void block_pin(sim::ReferenceCard& card) {
  testing::CardConnection conn(card);
  piv::PivSession s(conn);
  for (int i = 0; i < 3; ++i) CHECK_THROWS_AS(s.verify_pin(Pin::from_text("000000")), Error);
}
}  // namespace

TEST_CASE("the SO key: AES-256 from firmware 5.4, else TDES; a weak TDES key is drawn again") {
  sim::ReferenceCard aes = sim::ReferenceCard::factory({.serial = 7001});
  sim::ReferenceCard tdes = sim::ReferenceCard::factory({.serial = 7002, .version_major = 5, .version_minor = 2});
  testing::CardConnection ca(aes), ct(tdes);
  piv::PivSession sa(ca), st(ct);
  CHECK(survey_so_token(sa, nullptr).so_algorithm == crypto::AdminAlgorithm::aes256);
  CHECK(survey_so_token(st, nullptr).so_algorithm == crypto::AdminAlgorithm::tdes);

  int calls = 0;
  auto random = [&](std::span<std::uint8_t> out) {
    ++calls;
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = calls == 1 ? static_cast<std::uint8_t>(i % 8) : static_cast<std::uint8_t>(i);
  };
  AdminKey key = generate_so_key(crypto::AdminAlgorithm::tdes, random);
  CHECK(calls == 2);  // the first draw had K1 = K2 = K3
  CHECK_FALSE(crypto::tdes_key_is_weak(key.bytes()));
  CHECK(key.size() == 24);
}

TEST_CASE("the typed-back key: check and digits compared, bound to the card id") {
  AdminKey key = generate_so_key(crypto::AdminAlgorithm::aes256);
  auto code = so_key_code("7001", key);
  CHECK_NOTHROW(check_typed_back(code.code + " " + code.check, "7001", key, crypto::AdminAlgorithm::aes256));
  std::string lower = code.code + "-" + code.check;
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  CHECK_NOTHROW(check_typed_back(lower, "7001", key, crypto::AdminAlgorithm::aes256));
  // bound to the card id: the same code for another card fails its check
  CHECK_THROWS_WITH_AS(check_typed_back(code.code + " " + code.check, "7002", key, crypto::AdminAlgorithm::aes256),
                       doctest::Contains("nothing was written"), Error);
  // another key with a matching check
  AdminKey other = generate_so_key(crypto::AdminAlgorithm::aes256);
  auto oc = so_key_code("7001", other);
  CHECK_THROWS_WITH_AS(check_typed_back(oc.code + " " + oc.check, "7001", key, crypto::AdminAlgorithm::aes256),
                       doctest::Contains("not the one shown"), Error);
  // parse_so_key without metadata takes the algorithm from the length
  AdminKey t = generate_so_key(crypto::AdminAlgorithm::tdes);
  auto tc = so_key_code("7001", t);
  CHECK(parse_so_key(tc.code + " " + tc.check, "7001", std::nullopt).size() == 24);
  CHECK(parse_so_key(code.code + " " + code.check, "7001", std::nullopt).size() == 32);
}

TEST_CASE("issue an SO token, refuse it again, unblock it with its key only") {
  World w;
  sim::ReferenceCard card = sim::ReferenceCard::factory({.serial = 7101});
  AdminKey key = issue(w, card);
  auto counters = card.retry_counters();
  CHECK(counters.puk_left == 0);
  CHECK(counters.pin_left == counters.pin_max);
  {
    testing::CardConnection conn(card);
    piv::PivSession s(conn);
    CHECK_NOTHROW(s.verify_pin(so_pin()));
    CHECK(s.management_key_info().is_default == false);
    CHECK_THROWS_WITH_AS(survey_so_token(s, &*w.site), doctest::Contains("not in its factory state"), Error);
  }
  auto audit = w.site->verified_audit();
  REQUIRE_FALSE(audit.empty());
  CHECK(audit.back().action == "so-token");
  CHECK(audit.back().outcome == "issued");
  CHECK(audit.back().detail("algorithm") == "aes256");

  block_pin(card);
  {  // a wrong key: refused (6982), the PIN stays blocked
    testing::CardConnection conn(card);
    piv::PivSession s(conn);
    auto c = begin_so_unblock(s);
    CHECK(c.pending.pin.remaining == 0);
    CHECK(c.algorithm_known);
    AdminKey wrong = generate_so_key(crypto::AdminAlgorithm::aes256);
    try {
      finish_so_unblock(s, c, wrong, Pin::from_text("Tq8#mw4z"), {&*w.site, "owner"});
      FAIL("a wrong key was accepted");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::auth_failed);
      CHECK(e.status_word() == 0x6982);
    }
  }
  CHECK(card.retry_counters().pin_left == 0);
  {  // the right key
    testing::CardConnection conn(card);
    piv::PivSession s(conn);
    auto c = begin_so_unblock(s);
    finish_so_unblock(s, c, key, Pin::from_text("Tq8#mw4z"), {&*w.site, "owner"});
  }
  testing::CardConnection conn(card);
  piv::PivSession s(conn);
  CHECK_NOTHROW(s.verify_pin(Pin::from_text("Tq8#mw4z")));
  audit = w.site->verified_audit();  // the refusal and the unblock, each recorded (never the key)
  REQUIRE(audit.size() >= 2);
  CHECK(audit[audit.size() - 2].action == "so-unblock");
  CHECK(audit[audit.size() - 2].outcome == "failed");
  CHECK(audit.back().action == "so-unblock");
  CHECK(audit.back().outcome == "ok");
  CHECK(audit.back().operator_name == "owner");
}

TEST_CASE("a card that cannot reset its PIN with the admin key is refused, unchanged") {
  World w;
  sim::ReferenceCard card = sim::ReferenceCard::factory({.serial = 7201, .admin_pin_reset = false});
  CHECK_THROWS_AS(issue(w, card), Error);
  testing::CardConnection conn(card);
  piv::PivSession s(conn);
  CHECK(s.management_key_info().is_default == true);
  CHECK(card.retry_counters().puk_left == 3);
  CHECK_NOTHROW(s.verify_pin(Pin::from_text(piv::factory::pin)));
}

TEST_CASE("a removal at every APDU position leaves a card that is issued again") {
  World w;
  for (int k = 0; k < 40; ++k) {
    CAPTURE(k);
    sim::ReferenceCard card = sim::ReferenceCard::factory({.serial = 7300});
    bool finished = false;
    {
      testing::CardConnection conn(card);
      conn.remove_after = k;
      try {
        piv::PivSession s(conn);
        auto survey = survey_so_token(s, &*w.site);
        AdminKey key = generate_so_key(survey.so_algorithm);
        issue_so_token(*w.site, s, survey, key, so_pin(), {.operator_name = "owner"});
        finished = true;
      } catch (const Error& e) {
        REQUIRE(e.kind() == ErrorKind::card_removed);
      }
    }
    card.reset();
    if (finished) break;
    AdminKey key = issue(w, card);  // the whole issue again, from whatever the removal left
    block_pin(card);
    testing::CardConnection conn(card);
    piv::PivSession s(conn);
    auto c = begin_so_unblock(s);
    finish_so_unblock(s, c, key, Pin::from_text("Tq8#mw4z"));
    CHECK(card.retry_counters().puk_left == 0);
  }
}
