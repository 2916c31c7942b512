#include <doctest/doctest.h>
#include <unistd.h>

#include <chrono>

#include "cardctl/error.hpp"
#include "cardctl/inventory.hpp"

using namespace cardctl;
using namespace std::chrono;
using store::CardState;
using store::Inventory;

namespace {
struct TempDir {
  std::string path;
  TempDir() {
    char t[] = "/tmp/cardctl-inv-XXXXXX";
    path = mkdtemp(t);
  }
  ~TempDir() { std::system(("rm -rf " + path).c_str()); }
};
store::InventoryOptions fast(system_clock::time_point* now = nullptr) {
  store::InventoryOptions o;
  o.answer_scrypt = {1024, 8, 1};
  o.busy_timeout = milliseconds(200);
  if (now != nullptr) o.clock = [now] { return *now; };
  return o;
}
}  // namespace

TEST_CASE("schema is created once, in WAL mode, and reopened") {
  TempDir d;
  std::string path = d.path + "/inventory.db";
  {
    auto inv = Inventory::open(path, fast());
    CHECK(inv.schema_version() == Inventory::kSchemaVersion);
    inv.add_holder({"alice", "Alice Example"});
  }
  auto inv = Inventory::open(path, fast());
  CHECK(inv.find_holder("alice")->name == "Alice Example");
  CHECK(access((path + "-wal").c_str(), F_OK) == 0);
}

TEST_CASE("a file that is not a database is refused clearly") {
  TempDir d;
  std::string path = d.path + "/junk";
  FILE* f = fopen(path.c_str(), "w");
  fputs("this is not sqlite, not at all, not even a little bit of it.......................", f);
  fclose(f);
  try {
    Inventory::open(path, fast());
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::io);
  }
}

TEST_CASE("card lifecycle transitions are enforced") {
  TempDir d;
  auto inv = Inventory::open(d.path + "/i.db", fast());
  inv.add_holder({"bob", "Bob"});
  inv.add_card({"12345678", "bob", "staff", crypto::AdminAlgorithm::aes192, 2, CardState::pending, "", ""});
  CHECK_THROWS_AS(inv.add_card({"12345678", "bob", "staff", crypto::AdminAlgorithm::aes192, 2, CardState::pending, "", ""}), Error);
  CHECK_THROWS_AS(inv.set_card_state("12345678", CardState::revoked), Error);
  inv.set_card_state("12345678", CardState::active);
  inv.set_card_state("12345678", CardState::revoked);
  CHECK_THROWS_AS(inv.set_card_state("12345678", CardState::active), Error);
  auto c = inv.find_card("12345678");
  REQUIRE(c);
  CHECK(c->state == CardState::revoked);
  CHECK(c->key_version == 2);
  CHECK(c->algorithm == crypto::AdminAlgorithm::aes192);
  CHECK(inv.list_cards(CardState::revoked).size() == 1);
  CHECK(inv.list_cards(CardState::active).empty());
}

TEST_CASE("security answers: normalised, hashed, checked") {
  TempDir d;
  auto inv = Inventory::open(d.path + "/i.db", fast());
  inv.add_holder({"carol", "Carol"});
  inv.enrol_answers("carol", {{"first-school", "St. Mary's  Primary"}, {"first-street", "Elm Road"}});
  CHECK(inv.enrolled_questions("carol") == std::vector<std::string>{"first-school", "first-street"});
  CHECK(inv.verify_answer("carol", "first-school", "st marys primary"));
  CHECK(inv.verify_answer("carol", "first-school", "  ST. MARY'S PRIMARY "));
  CHECK_FALSE(inv.verify_answer("carol", "first-school", "St. John's"));
  CHECK_FALSE(inv.verify_answer("carol", "unknown", "x"));
  CHECK(store::normalise_answer("  Hello,   World! ") == "hello world");
}

TEST_CASE("escrowed PUKs decrypt only with the escrow key and for their card") {
  TempDir d;
  auto inv = Inventory::open(d.path + "/i.db", fast());
  inv.add_card({"c1", "", "staff", crypto::AdminAlgorithm::tdes, 1, CardState::pending, "", ""});
  Bytes key = crypto::random_bytes(32);
  inv.store_puk("c1", Puk::from_text("12345678"), key);
  CHECK(inv.load_puk("c1", key).text() == "12345678");
  CHECK_THROWS_AS(inv.load_puk("c1", crypto::random_bytes(32)), Error);
  CHECK_THROWS_AS(inv.load_puk("c2", key), Error);
}

TEST_CASE("offline unblocks and failed identifications are counted per period") {
  TempDir d;
  auto now = system_clock::now();
  auto inv = Inventory::open(d.path + "/i.db", fast(&now));
  inv.record_offline_unblock("c1", "op");
  now += hours(24 * 10);
  inv.record_offline_unblock("c1", "op");
  inv.record_offline_unblock("c2", "op");
  CHECK(inv.count_offline_unblocks("c1", now - hours(24 * 30)) == 2);
  CHECK(inv.count_offline_unblocks("c1", now - hours(24 * 5)) == 1);
  inv.record_identification_failure("h");
  inv.record_identification_failure("h");
  CHECK(inv.count_identification_failures("h", now - hours(1)) == 2);
  inv.clear_identification_failures("h");
  CHECK(inv.count_identification_failures("h", now - hours(1)) == 0);
}

TEST_CASE("a second writer waits, then fails with a clear conflict") {
  TempDir d;
  std::string path = d.path + "/i.db";
  auto a = Inventory::open(path, fast());
  auto b = Inventory::open(path, fast());
  a.with_transaction([&] {
    a.add_holder({"x", "X"});
    try {
      b.add_holder({"y", "Y"});
      FAIL("expected a conflict");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::conflict);
      CHECK(std::string(e.what()).find("locked by another process") != std::string::npos);
    }
  });
  b.add_holder({"y", "Y"});  // free again
  CHECK(a.find_holder("y"));
}

TEST_CASE("audit head is kept in the inventory") {
  TempDir d;
  auto inv = Inventory::open(d.path + "/i.db", fast());
  CHECK_FALSE(inv.audit_head());
  inv.set_audit_head(7, "abcd");
  CHECK(inv.audit_head()->first == 7);
  CHECK(inv.audit_head()->second == "abcd");
}
