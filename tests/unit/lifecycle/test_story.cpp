// The offline-unblock story through the lifecycle layer on an in-memory reference card: init, issue, block the
// PIN, challenge, respond (with questions), unblock; and the helpdesk's refusals.
#include <doctest/doctest.h>

#include <type_traits>

#include "card_connection.hpp"
#include "test_site.hpp"
#include "test_ca.hpp"
#include "cardctl/error.hpp"
#include "cardctl/issue.hpp"
#include "cardctl/ledger.hpp"
#include "cardctl/offline_unblock.hpp"
#include "cardctl/respond.hpp"
#include "cardctl/sim_card.hpp"
#include "cardctl/x509.hpp"

using namespace cardctl;
using namespace cardctl::lifecycle;

namespace {
struct World : testing::TestSite {
  World() : TestSite("cardctl-story") {}
};

IssueRequest request() {
  IssueRequest r;
  r.template_name = "staff";
  r.holder_id = "alice";
  r.holder_name = "Alice Example";
  r.answers = {{"first-school", SecureString("Elm Primary")}, {"first-street", SecureString("Oak Road")},
               {"first-concert", SecureString("The Cure")}};
  r.operator_name = "issuer";
  r.certificates.ca = &testing::test_ca();
  return r;
}

std::function<SecureString(const policy::Question&)> answers(bool right) {
  return [right](const policy::Question& q) {
    std::string a = !right ? "wrong" : q.id == "first-school" ? "elm primary" : q.id == "first-street" ? "OAK ROAD" : "the cure";
    return SecureString(a.begin(), a.end());
  };
}

RespondRequest make_request(std::string card, std::string challenge, std::string op,
                            std::function<SecureString(const policy::Question&)> ask) {
  RespondRequest r;
  r.card_id = std::move(card);
  r.challenge = std::move(challenge);
  r.operator_name = std::move(op);
  r.ask = std::move(ask);
  return r;
}

// A reference card issued from request() in the world's site, and a connection to it.
struct IssuedCard {
  sim::ReferenceCard card;
  testing::CardConnection conn{card};
  IssuedCard(World& w, std::uint32_t serial) : card(sim::ReferenceCard::factory({.serial = serial})) {
    piv::PivSession s(conn);
    issue_card(*w.site, s, request());
  }
};

int responses(Site& site, const std::string& card) { return Ledger(site.verified_audit()).responses(card, ""); }

void block_pin(testing::CardConnection& conn) {
  piv::PivSession s(conn);
  for (int i = 0; i < 3; ++i) CHECK_THROWS_AS(s.verify_pin(Pin::from_text("000000")), Error);
}
}  // namespace

TEST_CASE("init refuses to overwrite, then the whole story works and is audited") {
  World w;
  InitOptions again;
  again.policy_file = std::string(CARDCTL_SOURCE_DIR) + "/examples/policy.toml";
  CHECK_THROWS_AS(Site::init(w.paths, Passphrase::from_text("a long passphrase"), again), Error);

  auto card = sim::ReferenceCard::factory({.serial = 5550001});
  testing::CardConnection conn(card);
  IssueResult issued;
  {
    piv::PivSession s(conn);
    issued = issue_card(*w.site, s, request());
  }
  CHECK(issued.card_id == "5550001");
  CHECK(issued.pin.size() == 6);
  CHECK(issued.puk.size() == 8);
  CHECK(w.site->inventory.find_card("5550001")->state == store::CardState::active);
  CHECK(w.site->inventory.load_puk("5550001", w.site->keystore.escrow_key()).text() == issued.puk.text());
  {
    piv::PivSession s(conn);
    s.verify_pin(issued.pin);
    CHECK(s.management_key_info().algorithm == crypto::AdminAlgorithm::aes192);
    CHECK(s.pin_retries().total == 3);
  }
  block_pin(conn);

  piv::PivSession holder(conn);
  auto pending = begin_offline_unblock(holder);
  CHECK(pending.card_id == "5550001");
  CHECK(pending.pin.remaining == 0);

  RespondRequest rr = make_request("5550001", pending.code().display(), "helpdesk-1", answers(true));
  auto resp = respond(*w.site, rr);
  CHECK(resp.unblocks_left_in_period == 2);
  Bytes typed = parse_code(resp.response.code + resp.response.check, pending.card_id, pending.algorithm, "response");
  finish_offline_unblock(holder, pending, typed, Pin::from_text("480213"));
  holder.verify_pin(Pin::from_text("480213"));

  auto v = store::verify_audit(w.paths.audit(), w.site->keystore.audit_key(), store::AuditHead{
      w.site->inventory.audit_head()->first, w.site->inventory.audit_head()->second});
  CHECK(v.ok);
  CHECK(v.entries == 7);  // init, operator added, issue, identify started and ok, respond reserved and ok (given)
  auto entries = store::query_audit(w.paths.audit(), {});
  CHECK(entries[1].action == "operator");
  CHECK(entries[3].action == "identify");
  CHECK(entries[3].outcome == "started");
  CHECK(entries[4].outcome == "ok");
  CHECK(entries[5].action == "respond");
  CHECK(entries[5].outcome == "reserved");
  CHECK(entries[6].outcome == "ok");
  CHECK(entries[6].operator_name == "helpdesk-1");
  CHECK(responses(*w.site, "5550001") == 1);
}

TEST_CASE("wrong answers are refused, counted, and lock the holder out") {
  World w;
  IssuedCard issued(w, 5550002);
  auto& conn = issued.conn;
  piv::PivSession holder(conn);
  auto pending = begin_offline_unblock(holder);
  RespondRequest rr = make_request("5550002", pending.code().display(), "op", answers(false));
  for (int i = 0; i < 3; ++i) {
    try {
      respond(*w.site, rr);
      FAIL("expected a refusal");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::policy);
      CHECK(std::string(e.what()).find("not identified") != std::string::npos);
    }
  }
  rr.ask = answers(true);
  try {
    respond(*w.site, rr);
    FAIL("expected the lockout");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("locked out") != std::string::npos);
    CHECK(e.hint().find("in person") != std::string::npos);
  }
  auto refused = store::query_audit(w.paths.audit(), {"", "", "5550002", "respond", ""});
  REQUIRE(refused.size() == 1);
  CHECK(refused.back().reason == "holder locked out");
  auto identifications = store::query_audit(w.paths.audit(), {"", "", "5550002", "identify", ""});
  CHECK(identifications.size() == 6);  // three started, three failed
  CHECK(identifications.back().outcome == "failed");
}

TEST_CASE("the per-period limit, unknown cards and mistyped challenges") {
  World w;
  IssuedCard issued(w, 5550003);
  auto& conn = issued.conn;
  piv::PivSession holder(conn);
  auto pending = begin_offline_unblock(holder);
  RespondRequest rr = make_request("5550003", pending.code().display(), "op", answers(true));

  // A misheard digit is caught by the check, with the fix suggested, before anything is counted.
  RespondRequest typo = rr;
  std::string code = pending.code().code;
  code[0] = code[0] == 'A' ? 'B' : 'A';
  typo.challenge = code + " " + pending.code().check;
  try {
    respond(*w.site, typo);
    FAIL("expected a check mismatch");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::usage);
    CHECK(e.hint().find(pending.code().code) != std::string::npos);
  }
  CHECK(responses(*w.site, "5550003") == 0);

  // Each new challenge counts; the same challenge answered again (the caller misheard) counts once.
  RespondResult first = respond(*w.site, rr);
  CHECK_FALSE(first.repeated);
  CHECK(first.unblocks_left_in_period == 2);
  RespondResult again = respond(*w.site, rr);
  CHECK(again.repeated);
  CHECK(again.response.code == first.response.code);
  CHECK(again.unblocks_left_in_period == 2);
  CHECK(responses(*w.site, "5550003") == 1);
  for (int i = 0; i < 2; ++i) {
    auto next = begin_offline_unblock(holder);
    respond(*w.site, make_request("5550003", next.code().display(), "op", answers(true)));
  }
  CHECK(responses(*w.site, "5550003") == 3);
  CHECK(respond(*w.site, rr).repeated);  // an earlier challenge of the period: still answered, not counted
  try {
    auto fresh = begin_offline_unblock(holder);
    respond(*w.site, make_request("5550003", fresh.code().display(), "op", answers(true)));
    FAIL("expected the limit");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::policy);
    CHECK(std::string(e.what()).find("allows 3") != std::string::npos);
  }

  RespondRequest unknown = make_request("99999999", "0000 0000 0000 0000", "op", answers(true));
  try {
    respond(*w.site, unknown);
    FAIL("expected a refusal");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::policy);
    CHECK(std::string(e.what()).find("not in the inventory") != std::string::npos);
  }
}

TEST_CASE("a response that could not be shown is recorded as undelivered and not counted") {
  World w;
  IssuedCard issued(w, 5550004);
  auto& conn = issued.conn;
  piv::PivSession holder(conn);
  auto pending = begin_offline_unblock(holder);
  auto rr = make_request("5550004", pending.code().display(), "op", answers(true));
  rr.deliver = [](const RespondResult&) { throw Error(ErrorKind::io, "the output is closed"); };
  CHECK_THROWS_AS(respond(*w.site, rr), Error);
  CHECK(responses(*w.site, "5550004") == 0);
  auto entries = store::query_audit(w.paths.audit(), {"", "", "5550004", "respond", ""});
  REQUIRE(entries.size() == 2);
  CHECK(entries[0].outcome == "reserved");
  CHECK(entries[1].outcome == "undelivered");
  int shown = 0;
  rr.deliver = [&](const RespondResult& r) {
    CHECK(r.holder_id == "alice");
    ++shown;
  };
  respond(*w.site, rr);
  CHECK(shown == 1);
  CHECK(responses(*w.site, "5550004") == 1);
}

TEST_CASE("an abandoned identification counts as failed, and the questions asked are recorded first") {
  World w;
  IssuedCard issued(w, 5550005);
  auto hang_up = [](const policy::Question&) -> SecureString { throw Error(ErrorKind::usage, "no answer (end of input)"); };
  auto rr = make_request("5550005", "0000 0000 0000 0000 0000 0000 0000 0000", "op", hang_up);
  rr.challenge = codes::format("5550005", Bytes(16, 0x11)).display();
  for (int i = 0; i < 3; ++i) CHECK_THROWS_AS(respond(*w.site, rr), Error);
  auto started = store::query_audit(w.paths.audit(), {"", "", "5550005", "identify", ""});
  REQUIRE(started.size() == 3);
  CHECK(started[0].outcome == "started");
  rr.ask = answers(true);
  try {
    respond(*w.site, rr);
    FAIL("expected the lockout");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("locked out") != std::string::npos);
  }
}

TEST_CASE("blank holders are refused at issue; a card with no holder is not answered when questions are asked") {
  World w;
  auto card = sim::ReferenceCard::factory({.serial = 5550006});
  testing::CardConnection conn(card);
  for (const char* blank : {"", "   ", "\t"}) {
    auto r = request();
    r.holder_id = blank;
    piv::PivSession s(conn);
    try {
      issue_card(*w.site, s, std::move(r));
      FAIL("expected a refusal");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::usage);
      CHECK(std::string(e.what()) == "the holder id is empty");
    }
  }
  w.site->inventory.add_card({"777", "", "staff", crypto::AdminAlgorithm::aes192, 1, store::CardState::pending, "", ""});
  w.site->inventory.set_card_state("777", store::CardState::active);
  auto rr = make_request("777", codes::format("777", Bytes(16, 0x22)).display(), "op", answers(true));
  try {
    respond(*w.site, rr);
    FAIL("expected a refusal");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::policy);
    CHECK(std::string(e.what()).find("no holder") != std::string::npos);
  }
}

TEST_CASE("issue refuses to spend the card's last PIN try without force") {
  World w;
  auto card = sim::ReferenceCard::factory({.serial = 5550007});
  testing::CardConnection conn(card);
  {
    piv::PivSession s(conn);
    CHECK_THROWS_AS(s.verify_pin(Pin::from_text("000000")), Error);
    CHECK_THROWS_AS(s.verify_pin(Pin::from_text("000000")), Error);
  }
  {
    piv::PivSession s(conn);
    try {
      issue_card(*w.site, s, request());
      FAIL("expected a refusal");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::policy);
      CHECK(std::string(e.what()).find("1 try left") != std::string::npos);
    }
  }
  {
    piv::PivSession s(conn);
    CHECK(s.pin_retries().remaining == 1);  // nothing was spent
  }
  auto r = request();
  r.force = true;
  piv::PivSession s(conn);
  CHECK(issue_card(*w.site, s, std::move(r)).card_id == "5550007");
}

// The fault sweep (cardctl-issue(1), RESUMING): for every APDU position n of one issuance, the card is removed at n.
// Then the inventory and the card agree: either the card is not in the inventory and still answers to the factory
// admin key, or it is pending with its escrowed PUK and first PIN, or it is active and complete. Issuing again
// gives a card whose keys sign with the escrowed PIN, whose certificates are the inventory's and verify with the
// card's keys, and which the helpdesk can unblock offline from the inventory's data alone.
TEST_CASE("fault sweep: a card removed at any APDU of issuance is finished by issuing it again") {
  int positions = 0;
  for (int cut = 0;; ++cut) {
    INFO("removed after APDU " << cut);
    World w;
    auto card = sim::ReferenceCard::factory({.serial = 5551000});
    testing::CardConnection conn(card);
    conn.remove_after = cut;
    bool done = false;
    try {
      piv::PivSession s(conn);
      issue_card(*w.site, s, request());
      done = true;
    } catch (const Error& e) {
      REQUIRE(e.kind() == ErrorKind::card_removed);
    }
    conn.remove_after = -1;
    card.reset();
    auto rec = w.site->inventory.find_card("5551000");
    {
      piv::PivSession s(conn);
      if (!rec) {
        CHECK(s.management_key_info().is_default == std::optional<bool>(true));
      } else if (rec->state == store::CardState::pending) {
        // Whatever the card was changed to is escrowed: its PIN is the factory one or the first PIN.
        auto pin = w.site->inventory.load_first_pin("5551000", w.site->keystore.escrow_key());
        REQUIRE(pin);
        CHECK_NOTHROW(w.site->inventory.load_puk("5551000", w.site->keystore.escrow_key()));
        bool pin_known = false;
        for (const auto& candidate : {Pin::from_text(piv::factory::pin), pin->clone()}) {
          try {
            s.verify_pin(candidate);
            pin_known = true;
            break;
          } catch (const Error&) {
          }
        }
        CHECK(pin_known);
      } else {
        CHECK(done);
        CHECK(rec->state == store::CardState::active);
      }
    }
    IssueResult issued;
    if (!done) {
      piv::PivSession s(conn);
      issued = issue_card(*w.site, s, request());
      CHECK(issued.found == (rec ? CardKind::pending : CardKind::factory));
    } else {
      piv::PivSession s(conn);
      CHECK_THROWS_AS(issue_card(*w.site, s, request()), Error);  // already issued: refused, nothing changed
      break;
    }
    ++positions;
    // The card works: each key signs with the first PIN, and its certificate (the inventory's) verifies it.
    auto certificates = w.site->inventory.certificates("5551000");
    REQUIRE(certificates.size() == 2);
    {
      piv::PivSession s(conn);
      for (const auto& cert : certificates) {
        s.verify_pin(issued.pin);
        Bytes data = to_bytes("signed after a fault at APDU " + std::to_string(cut));
        Bytes signature = s.sign_sha256(cert.slot, crypto::KeyAlgorithm::eccp256, data);
        CHECK(crypto::verify_sha256_signature(crypto::certificate_info(cert.der).public_key_spki, data, signature));
        CHECK(s.get_certificate(cert.slot) == std::optional<Bytes>(cert.der));
      }
    }
    // And the helpdesk unblocks it offline from the inventory alone.
    block_pin(conn);
    piv::PivSession holder(conn);
    auto pending = begin_offline_unblock(holder);
    auto resp = respond(*w.site, make_request("5551000", pending.code().display(), "helpdesk", answers(true)));
    Bytes typed = parse_code(resp.response.code + resp.response.check, pending.card_id, pending.algorithm, "response");
    finish_offline_unblock(holder, pending, typed, Pin::from_text("480213"));
    holder.verify_pin(Pin::from_text("480213"));
    REQUIRE(cut < 400);
  }
  CHECK(positions > 20);  // every APDU of an issuance with two keys and certificates
}

TEST_CASE("init with an imported master key: a MasterKey from the options into the keystore, audited") {
  static_assert(std::is_same_v<decltype(InitOptions::import_master), std::optional<MasterKey>>);
  char t[] = "/tmp/cardctl-story-XXXXXX";
  const std::string dir = mkdtemp(t);
  SitePaths paths{dir + "/site"};
  InitOptions o;
  o.policy_file = std::string(CARDCTL_SOURCE_DIR) + "/examples/policy.toml";
  o.scrypt = {1024, 8, 1};
  o.operator_name = "tester";
  o.import_master.emplace(secure_from_hex(std::string(64, '7')));
  o.import_version = 3;
  {
    Site site = Site::init(paths, Passphrase::from_text("a long passphrase"), o);
    CHECK(site.keystore.current_version() == 3);
    CHECK(to_hex(site.keystore.master(3).bytes()) == std::string(64, '7'));
  }
  CHECK(to_hex(o.import_master->bytes()) == std::string(64, '7'));  // init borrowed it; the caller's copy wipes itself
  Site opened = Site::open(paths, Passphrase::from_text("a long passphrase"));
  CHECK(to_hex(opened.keystore.master(3).bytes()) == std::string(64, '7'));
  const auto entries = store::query_audit(paths.audit(), {});
  REQUIRE(entries.size() == 2);  // init, and its operator registered as the system owner
  CHECK(entries[0].action == "init");
  CHECK(entries[0].reason == "master key imported");
  CHECK(entries[1].action == "operator");
  CHECK(opened.inventory.find_operator("tester")->role == "system_owner");
  std::system(("rm -rf " + dir).c_str());
}
