// The offline-unblock story through the lifecycle layer on an in-memory reference card: init, issue, block the
// PIN, challenge, respond (with questions), unblock; and the helpdesk's refusals.
#include <doctest/doctest.h>

#include <type_traits>

#include "card_connection.hpp"
#include "cardctl/error.hpp"
#include "cardctl/issue.hpp"
#include "cardctl/offline_unblock.hpp"
#include "cardctl/respond.hpp"
#include "cardctl/sim_card.hpp"

using namespace cardctl;
using namespace cardctl::lifecycle;

namespace {
struct World {
  std::string dir;
  SitePaths paths;
  std::optional<Site> site;
  World() {
    char t[] = "/tmp/cardctl-story-XXXXXX";
    dir = mkdtemp(t);
    paths.dir = dir + "/site";
    InitOptions o;
    o.policy_file = std::string(CARDCTL_SOURCE_DIR) + "/examples/policy.toml";
    o.scrypt = {1024, 8, 1};
    o.operator_name = "tester";
    site.emplace(Site::init(paths, Passphrase::from_text("a long passphrase"), o));
  }
  ~World() { std::system(("rm -rf " + dir).c_str()); }
};

IssueRequest request() {
  IssueRequest r;
  r.template_name = "staff";
  r.holder_id = "alice";
  r.holder_name = "Alice Example";
  r.answers = {{"first-school", "Elm Primary"}, {"first-street", "Oak Road"}, {"first-concert", "The Cure"}};
  r.operator_name = "issuer";
  return r;
}

std::function<SecureString(const policy::Question&)> answers(bool right) {
  return [right](const policy::Question& q) {
    std::string a = !right ? "wrong" : q.id == "first-school" ? "elm primary" : q.id == "first-street" ? "OAK ROAD" : "the cure";
    return SecureString(a.begin(), a.end());
  };
}

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

  RespondRequest rr{"5550001", pending.code().display(), "helpdesk-1", std::nullopt, std::nullopt, answers(true)};
  auto resp = respond(*w.site, rr);
  CHECK(resp.unblocks_left_in_period == 2);
  Bytes typed = parse_code(resp.response.code + resp.response.check, pending.card_id, pending.algorithm, "response");
  finish_offline_unblock(holder, pending, typed, Pin::from_text("480213"));
  holder.verify_pin(Pin::from_text("480213"));

  auto v = store::verify_audit(w.paths.audit(), w.site->keystore.audit_key(), store::AuditHead{
      w.site->inventory.audit_head()->first, w.site->inventory.audit_head()->second});
  CHECK(v.ok);
  CHECK(v.entries == 3);  // init, issue, respond
  auto entries = store::query_audit(w.paths.audit(), {});
  CHECK(entries[2].action == "respond");
  CHECK(entries[2].outcome == "ok");
  CHECK(entries[2].operator_name == "helpdesk-1");
}

TEST_CASE("wrong answers are refused, counted, and lock the holder out") {
  World w;
  auto card = sim::ReferenceCard::factory({.serial = 5550002});
  testing::CardConnection conn(card);
  {
    piv::PivSession s(conn);
    issue_card(*w.site, s, request());
  }
  piv::PivSession holder(conn);
  auto pending = begin_offline_unblock(holder);
  RespondRequest rr{"5550002", pending.code().display(), "op", std::nullopt, std::nullopt, answers(false)};
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
  CHECK(refused.size() == 4);
  CHECK(refused.back().reason == "holder locked out");
}

TEST_CASE("the per-period limit, unknown cards and mistyped challenges") {
  World w;
  auto card = sim::ReferenceCard::factory({.serial = 5550003});
  testing::CardConnection conn(card);
  {
    piv::PivSession s(conn);
    issue_card(*w.site, s, request());
  }
  piv::PivSession holder(conn);
  auto pending = begin_offline_unblock(holder);
  RespondRequest rr{"5550003", pending.code().display(), "op", std::nullopt, std::nullopt, answers(true)};

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
  CHECK(w.site->inventory.count_offline_unblocks("5550003", std::chrono::system_clock::now() - std::chrono::hours(1)) == 0);

  for (int i = 0; i < 3; ++i) respond(*w.site, rr);
  try {
    respond(*w.site, rr);
    FAIL("expected the limit");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::policy);
    CHECK(std::string(e.what()).find("allows 3") != std::string::npos);
  }

  RespondRequest unknown{"99999999", "0000 0000 0000 0000", "op", std::nullopt, std::nullopt, answers(true)};
  try {
    respond(*w.site, unknown);
    FAIL("expected a refusal");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::policy);
    CHECK(std::string(e.what()).find("not in the inventory") != std::string::npos);
  }
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
  REQUIRE(entries.size() == 1);
  CHECK(entries[0].action == "init");
  CHECK(entries[0].reason == "master key imported");
  std::system(("rm -rf " + dir).c_str());
}
