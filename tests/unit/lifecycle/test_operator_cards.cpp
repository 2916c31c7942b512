// Operators' cards through the lifecycle layer (cardctl-operator(1), UNLOCKING WITH A CARD): the slot 9D key read for
// enrolment, the entry written and audited, the installation opened by the card after its PIN, and removal.
#include <doctest/doctest.h>

#include "card_connection.hpp"
#include "cardctl/error.hpp"
#include "cardctl/files.hpp"
#include "cardctl/operators.hpp"
#include "cardctl/sim_card.hpp"
#include "test_site.hpp"

using namespace cardctl;
using namespace cardctl::lifecycle;

namespace {
// A reference card with a key of algorithm a in slot 9D (none when a is nullopt).
sim::ReferenceCard operator_card(std::uint32_t serial, std::optional<crypto::KeyAlgorithm> a) {
  auto card = sim::ReferenceCard::factory({.serial = serial});
  if (a) {
    testing::CardConnection conn(card);
    piv::PivSession s(conn);
    s.authenticate(AdminKey(ByteView(piv::factory::management_key)), crypto::AdminAlgorithm::tdes);
    s.generate_key(piv::keyref::key_management, *a);
  }
  return card;
}

template <class F>
Error error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e;
  }
  FAIL("no error");
  return Error(ErrorKind::internal, "");
}
}  // namespace

TEST_CASE("an operator's card: enrolled, opens the installation after its PIN, and no longer once removed") {
  testing::TestSite t("cardctl-opcard");
  Site& site = *t.site;
  add_operator(site, "tester", "desk", "helpdesk");
  auto card = operator_card(81001, crypto::KeyAlgorithm::eccp256);
  {
    testing::CardConnection conn(card);
    piv::PivSession s(conn);
    Bytes spki = card_unlock_key(s, "sim:desk.sim");
    add_operator_card(site, "tester", "desk", s.card_id(), spki);
  }
  CHECK(files::exists(t.paths.keystore_cards()));
  auto entries = card_unlock_entries(t.paths, "81001");
  REQUIRE(entries.size() == 1);
  CHECK(entries[0].operator_name == "desk");
  // one card, one operator
  CHECK(error_of([&] { add_operator_card(site, "tester", "tester", "81001", entries[0].card_spki); }).kind() ==
        ErrorKind::conflict);
  CHECK(error_of([&] { add_operator_card(site, "tester", "nobody", "81002", entries[0].card_spki); }).kind() ==
        ErrorKind::not_found);

  {
    testing::CardConnection conn(card);
    piv::PivSession s(conn);
    // without the PIN the card refuses the key agreement
    CHECK(error_of([&] { open_with_card(t.paths, s, entries[0], "list"); }).kind() == ErrorKind::security_status);
    s.verify_pin(Pin::from_text(piv::factory::pin));
    Site opened = open_with_card(t.paths, s, entries[0], "list");
    CHECK(opened.keystore.installation_id() == site.keystore.installation_id());
    authorize(opened, "desk", "list");
    CHECK(error_of([&] { authorize(opened, "desk", "operator"); }).kind() == ErrorKind::policy);
    auto trail = opened.verified_audit();
    REQUIRE(trail.size() >= 2);
    const auto& open_entry = trail[trail.size() - 2];  // then the role refusal, audited too
    CHECK(open_entry.action == "keystore");
    CHECK(open_entry.outcome == "opened");
    CHECK(open_entry.operator_name == "desk");
    CHECK(open_entry.card_id == "81001");
    CHECK(trail.back().action == "operator");
    CHECK(trail.back().outcome == "refused");
    CHECK(trail.back().operator_name == "desk");
  }

  // another card, with the same entry: its key does not open it
  auto other = operator_card(81003, crypto::KeyAlgorithm::eccp256);
  {
    testing::CardConnection conn(other);
    piv::PivSession s(conn);
    s.verify_pin(Pin::from_text(piv::factory::pin));
    CHECK(error_of([&] { open_with_card(t.paths, s, entries[0], "list"); }).kind() == ErrorKind::auth_failed);
  }

  remove_operator(site, "tester", "desk");
  CHECK(error_of([&] { card_unlock_entries(t.paths, "81001"); }).kind() == ErrorKind::not_found);
  bool removed_audited = false;
  for (const auto& e : site.verified_audit())
    removed_audited = removed_audited || (e.outcome == "card-removed" && e.card_id == "81001");
  CHECK(removed_audited);
}

TEST_CASE("a card without a P-256 or P-384 key in slot 9D cannot be enrolled") {
  for (auto a : {std::optional<crypto::KeyAlgorithm>{}, std::optional{crypto::KeyAlgorithm::rsa2048}}) {
    auto card = operator_card(81005, a);
    testing::CardConnection conn(card);
    piv::PivSession s(conn);
    Error e = error_of([&] { card_unlock_key(s, "sim:x.sim"); });
    CHECK(e.kind() == ErrorKind::unsupported);
    CHECK(std::string(e.what()).find("the card in sim:x.sim has no P-256 key in slot 9D; issue it with a template "
                                     "that has slot 9d") != std::string::npos);
  }
  auto p384 = operator_card(81006, crypto::KeyAlgorithm::eccp384);
  testing::CardConnection conn(p384);
  piv::PivSession s(conn);
  CHECK(crypto::public_key_info(card_unlock_key(s, "sim:y.sim")).algorithm == crypto::KeyAlgorithm::eccp384);
}
