#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <functional>

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
const Bytes kMacKey(32, 0x5A);

store::InventoryOptions fast(system_clock::time_point* now = nullptr) {
  store::InventoryOptions o;
  o.answer_scrypt = {1024, 8, 1};
  o.mac_key = SecureBytes(kMacKey.begin(), kMacKey.end());
  o.create = true;
  o.busy_timeout = milliseconds(200);
  if (now != nullptr) o.clock = [now] { return *now; };
  return o;
}
store::InventoryOptions existing() {
  auto o = fast();
  o.create = false;
  return o;
}

// CARDCTL_TEST_POSTGRES_SOCKET (unit_inventory_postgres, tests/support/with_postgres.sh): the tests that are not
// about the SQLite file run against databases of a private PostgreSQL server instead.
const char* postgres_socket() {
  const char* s = std::getenv("CARDCTL_TEST_POSTGRES_SOCKET");
  return s != nullptr && *s != '\0' ? s : nullptr;
}
const std::string kPsql = "/usr/lib/postgresql/15/bin/psql -X -q -v ON_ERROR_STOP=1 -U cardctl -h ";

// A new inventory's location: a file in d, or on PostgreSQL a new database.
std::string location(const TempDir& d, const std::string& file) {
  if (postgres_socket() == nullptr) return d.path + "/" + file;
  static int n = 0;
  const std::string name = "inventory_" + std::to_string(::getpid()) + "_" + std::to_string(++n);
  REQUIRE(std::system((kPsql + postgres_socket() + " -d postgres -c 'CREATE DATABASE " + name + "'").c_str()) == 0);
  return "postgresql:///" + name + "?host=" + postgres_socket() + "&user=cardctl";
}

// Edits the database behind cardctl's back, as someone with file (or database) access would.
void sql(const std::string& location, const std::string& statement) {
  std::string cmd = "sqlite3 '" + location + "' \"" + statement + "\"";
  if (store::is_database_url(location)) {
    const auto start = location.find("///") + 3;
    cmd = kPsql + postgres_socket() + " -d " + location.substr(start, location.find('?') - start) + " -c \"" +
          statement + "\"";
  }
  REQUIRE(std::system(cmd.c_str()) == 0);
}

// What a query prints, one "a|b" line per row, read outside cardctl.
std::string query_rows(const std::string& location, const std::string& statement) {
  std::string cmd = "sqlite3 '" + location + "' \"" + statement + "\"";
  if (store::is_database_url(location)) {
    const auto start = location.find("///") + 3;
    cmd = kPsql + postgres_socket() + " -At -d " + location.substr(start, location.find('?') - start) + " -c \"" +
          statement + "\"";
  }
  FILE* out = popen(cmd.c_str(), "r");
  REQUIRE(out != nullptr);
  std::string rows;
  for (char line[256]; std::fgets(line, sizeof line, out) != nullptr;) rows += line;
  pclose(out);
  return rows;
}

std::string kind_and_message(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return std::string(to_string(e.kind())) + ": " + e.what();
  }
  return "no error";
}
}  // namespace

TEST_CASE("schema is created once, in WAL mode, and reopened") {
  if (postgres_socket() != nullptr) return;  // about the SQLite file
  TempDir d;
  std::string path = d.path + "/inventory.db";
  {
    auto inv = Inventory::open(path, fast());
    CHECK(inv.schema_version() == Inventory::current_schema_version());
    inv.add_holder({"alice", "Alice Example"});
  }
  auto inv = Inventory::open(path, fast());
  CHECK(inv.find_holder("alice")->name == "Alice Example");
  CHECK(access((path + "-wal").c_str(), F_OK) == 0);
}

TEST_CASE("a file that is not a database is refused clearly") {
  if (postgres_socket() != nullptr) return;  // about the SQLite file
  TempDir d;
  std::string path = d.path + "/junk";
  FILE* f = fopen(path.c_str(), "w");
  fputs("this is not sqlite, not at all, not even a little bit of it.......................", f);
  fclose(f);
  chmod(path.c_str(), 0600);
  try {
    Inventory::open(path, fast());
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::io);
  }
}

TEST_CASE("card lifecycle transitions are enforced") {
  TempDir d;
  auto inv = Inventory::open(location(d, "i.db"), fast());
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
  auto inv = Inventory::open(location(d, "i.db"), fast());
  inv.add_holder({"carol", "Carol"});
  inv.enrol_answers("carol", {{"first-school", SecureString("St. Mary's  Primary")}, {"first-street", SecureString("Elm Road")}});
  CHECK(inv.enrolled_questions("carol") == std::vector<std::string>{"first-school", "first-street"});
  CHECK(inv.verify_answer("carol", "first-school", "st marys primary"));
  CHECK(inv.verify_answer("carol", "first-school", "  ST. MARY'S PRIMARY "));
  CHECK_FALSE(inv.verify_answer("carol", "first-school", "St. John's"));
  CHECK_FALSE(inv.verify_answer("carol", "unknown", "x"));
  CHECK(store::normalise_answer("  Hello,   World! ") == "hello world");
}

TEST_CASE("security answers are keyed hashes: the inventory alone cannot test a guess") {
  TempDir d;
  const std::string db = location(d, "i.db");
  auto o = fast();
  o.answer_scrypt.reset();  // what an installation does
  {
    auto inv = Inventory::open(db, o);
    inv.add_holder({"dave", "Dave"});
    inv.enrol_answers("dave", {{"first-school", SecureString("Elm Primary")}});
    CHECK(inv.verify_answer("dave", "first-school", "elm primary"));
    CHECK_FALSE(inv.verify_answer("dave", "first-school", "oak primary"));
  }
  // Stored with N = r = p = 0 and a 32-byte HMAC, not the answer nor an unkeyed hash of it.
  CHECK(query_rows(db, "SELECT n, r, p, length(hash) FROM security_answers") == "0|0|0|32\n");
}

TEST_CASE("an answer enrolled as a scrypt hash is checked, then stored again as a keyed hash") {
  TempDir d;
  const std::string db = location(d, "i.db");
  {
    auto inv = Inventory::open(db, fast());  // scrypt, as installations before keyed hashes enrolled
    inv.add_holder({"erin", "Erin"});
    inv.enrol_answers("erin", {{"first-school", SecureString("Elm Primary")}, {"first-street", SecureString("Oak Road")}});
  }
  auto o = existing();
  o.answer_scrypt.reset();
  auto inv = Inventory::open(db, o);
  CHECK_FALSE(inv.verify_answer("erin", "first-school", "wrong"));  // a wrong answer migrates nothing
  CHECK(inv.verify_answer("erin", "first-school", "Elm Primary"));
  CHECK(query_rows(db, "SELECT question_id, n FROM security_answers ORDER BY question_id") ==
        "first-school|0\nfirst-street|1024\n");
  CHECK(inv.verify_answer("erin", "first-school", "elm primary"));  // the keyed row checks the same answer
  CHECK_FALSE(inv.verify_answer("erin", "first-school", "oak road"));
  CHECK(inv.check_rows().empty());
}

TEST_CASE("escrowed PUKs decrypt only with the escrow key and for their card") {
  TempDir d;
  auto inv = Inventory::open(location(d, "i.db"), fast());
  inv.add_card({"c1", "", "staff", crypto::AdminAlgorithm::tdes, 1, CardState::pending, "", ""});
  Bytes key = crypto::random_bytes(32);
  inv.store_puk("c1", Puk::from_text("12345678"), key);
  CHECK(inv.load_puk("c1", key).text() == "12345678");
  CHECK_THROWS_AS(inv.load_puk("c1", crypto::random_bytes(32)), Error);
  CHECK_THROWS_AS(inv.load_puk("c2", key), Error);
}

TEST_CASE("a missing or empty inventory is an error, never a fresh start") {
  if (postgres_socket() != nullptr) return;  // about the SQLite file
  TempDir d;
  std::string path = location(d, "i.db");
  CHECK(kind_and_message([&] { Inventory::open(path, existing()); }).find("io: the inventory " + path + " is missing") == 0);
  CHECK(access(path.c_str(), F_OK) != 0);  // nothing was created
  { Inventory::open(path, fast()).add_holder({"a", "A"}); }
  REQUIRE(truncate(path.c_str(), 0) == 0);
  ::unlink((path + "-wal").c_str());
  ::unlink((path + "-shm").c_str());
  CHECK(kind_and_message([&] { Inventory::open(path, existing()); }).find("is empty") != std::string::npos);
}

TEST_CASE("the inventory and its WAL are created 0600; one open to others is refused") {
  if (postgres_socket() != nullptr) return;  // about the SQLite file
  TempDir d;
  std::string path = location(d, "i.db");
  ::umask(022);
  { Inventory::open(path, fast()).add_holder({"a", "A"}); }
  struct stat st {};
  REQUIRE(stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  {
    auto inv = Inventory::open(path, existing());
    inv.add_holder({"b", "B"});
    REQUIRE(stat((path + "-wal").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
  }
  chmod(path.c_str(), 0644);
  auto msg = kind_and_message([&] { Inventory::open(path, existing()); });
  CHECK(msg.find("io: the inventory " + path + " is open to other users (mode 644)") == 0);
}

TEST_CASE("an inventory of another installation is refused") {
  TempDir d;
  std::string path = location(d, "i.db");
  auto o = fast();
  o.installation_id = "aaaa";
  { Inventory::open(path, o); }
  o.create = false;
  CHECK_NOTHROW(Inventory::open(path, o));
  o.installation_id = "bbbb";
  CHECK(kind_and_message([&] { Inventory::open(path, o); }).find("belongs to another installation") != std::string::npos);
}

TEST_CASE("edited security-relevant rows are refused when read and reported by check_rows") {
  TempDir d;
  std::string path = location(d, "i.db");
  auto inv = Inventory::open(path, fast());
  inv.add_holder({"alice", "Alice"});
  inv.add_holder({"mallory", "Mallory"});
  inv.enrol_answers("alice", {{"q1", SecureString("Paris")}});
  inv.enrol_answers("mallory", {{"q1", SecureString("London")}});
  inv.add_card({"c1", "alice", "staff", crypto::AdminAlgorithm::aes192, 1, CardState::pending, "", ""});
  inv.set_card_state("c1", CardState::active);
  inv.set_card_state("c1", CardState::revoked);
  Bytes key = crypto::random_bytes(32);
  inv.store_puk("c1", Puk::from_text("12345678"), key);
  inv.set_audit_head(3, "abcd");
  CHECK(inv.check_rows().empty());

  SUBCASE("a revoked card set back to active") {
    sql(path, "UPDATE cards SET state = 'active' WHERE card_id = 'c1'");
    CHECK(kind_and_message([&] { inv.find_card("c1"); }).find("io: the record of card c1") == 0);
    REQUIRE(inv.check_rows().size() == 1);
    CHECK(inv.check_rows()[0].find("card c1") != std::string::npos);
  }
  SUBCASE("one holder's answers copied onto another") {
    sql(path, "UPDATE security_answers SET salt = (SELECT salt FROM security_answers WHERE holder_id = 'mallory'), "
              "hash = (SELECT hash FROM security_answers WHERE holder_id = 'mallory'), "
              "mac = (SELECT mac FROM security_answers WHERE holder_id = 'mallory') WHERE holder_id = 'alice'");
    CHECK(kind_and_message([&] { inv.verify_answer("alice", "q1", "London"); }).find("was changed outside cardctl") !=
          std::string::npos);
    CHECK(inv.check_rows().size() == 1);
  }
  SUBCASE("scrypt cost raised in a row") {
    sql(path, "UPDATE security_answers SET n = 1073741824 WHERE holder_id = 'alice'");
    CHECK(kind_and_message([&] { inv.verify_answer("alice", "q1", "Paris"); }).find("io: ") == 0);
  }
  SUBCASE("the audit head rewritten") {
    sql(path, "UPDATE meta SET value = '2 ffff ' || substr(value, 8) WHERE key = 'audit_head'");
    CHECK(kind_and_message([&] { inv.audit_head(); }).find("the audit trail's head") != std::string::npos);
  }
  SUBCASE("an escrowed PUK moved to another card") {
    inv.add_card({"c2", "mallory", "staff", crypto::AdminAlgorithm::aes192, 1, CardState::pending, "", ""});
    sql(path, "INSERT INTO escrowed_puks SELECT 'c2', iv, ciphertext, created_at, mac FROM escrowed_puks WHERE card_id = 'c1'");
    CHECK(kind_and_message([&] { inv.load_puk("c2", key); }).find("was changed outside cardctl") != std::string::npos);
  }
  SUBCASE("an unsigned row inserted") {
    sql(path, "INSERT INTO cards (card_id, holder_id, template, algorithm, key_version, state, issued_at, updated_at) "
              "VALUES ('c9', 'mallory', 'staff', 'aes192', 1, 'active', 'x', 'x')");
    CHECK_THROWS_AS(inv.find_card("c9"), Error);
    CHECK(inv.check_rows().size() == 1);
  }
}

TEST_CASE("answer scrypt costs are bounded") {
  CHECK(store::answer_scrypt_acceptable({1u << 14, 8, 1}));
  CHECK(store::answer_scrypt_acceptable({1u << 10, 1, 1}));
  CHECK_FALSE(store::answer_scrypt_acceptable({1u << 30, 8, 1}));
  CHECK_FALSE(store::answer_scrypt_acceptable({1u << 21, 8, 1}));
  CHECK_FALSE(store::answer_scrypt_acceptable({1000, 8, 1}));
  CHECK_FALSE(store::answer_scrypt_acceptable({1u << 14, 0, 1}));
  CHECK_FALSE(store::answer_scrypt_acceptable({1u << 14, 8, 17}));
}

TEST_CASE("the first PIN is escrowed until it was shown") {
  TempDir d;
  auto inv = Inventory::open(location(d, "i.db"), fast());
  inv.add_card({"c1", "", "staff", crypto::AdminAlgorithm::tdes, 1, CardState::pending, "", ""});
  Bytes key = crypto::random_bytes(32);
  CHECK_FALSE(inv.load_first_pin("c1", key));
  inv.store_first_pin("c1", Pin::from_text("482916"), key);
  CHECK(inv.load_first_pin("c1", key)->text() == "482916");
  inv.forget_first_pin("c1");
  CHECK_FALSE(inv.load_first_pin("c1", key));
}

TEST_CASE("a second writer waits, then fails with a clear conflict") {
  TempDir d;
  std::string path = location(d, "i.db");
  auto a = Inventory::open(path, fast());
  auto b = Inventory::open(path, fast());
  a.with_transaction([&] {
    a.add_holder({"x", "X"});
    try {
      b.with_transaction([&] { b.add_holder({"y", "Y"}); });
      FAIL("expected a conflict");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::conflict);
      CHECK(std::string(e.what()).find("locked by another") != std::string::npos);
    }
  });
  b.add_holder({"y", "Y"});  // free again
  CHECK(a.find_holder("y"));
}

TEST_CASE("audit head is kept in the inventory") {
  TempDir d;
  auto inv = Inventory::open(location(d, "i.db"), fast());
  CHECK_FALSE(inv.audit_head());
  inv.set_audit_head(7, "abcd");
  CHECK(inv.audit_head()->first == 7);
  CHECK(inv.audit_head()->second == "abcd");
}

TEST_CASE("a version 1 inventory is migrated: its rows sealed, its counters dropped (the trail has them)") {
  if (postgres_socket() != nullptr) return;  // about the SQLite file
  TempDir d;
  std::string path = location(d, "i.db");
  sql(path, "CREATE TABLE holders (holder_id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at TEXT NOT NULL);"
            "CREATE TABLE cards (card_id TEXT PRIMARY KEY, holder_id TEXT REFERENCES holders(holder_id), template TEXT "
            "NOT NULL, algorithm TEXT NOT NULL, key_version INTEGER NOT NULL, state TEXT NOT NULL, issued_at TEXT NOT "
            "NULL, updated_at TEXT NOT NULL);"
            "CREATE TABLE security_answers (holder_id TEXT NOT NULL REFERENCES holders(holder_id), question_id TEXT NOT "
            "NULL, salt BLOB NOT NULL, hash BLOB NOT NULL, n INTEGER NOT NULL, r INTEGER NOT NULL, p INTEGER NOT NULL, "
            "PRIMARY KEY (holder_id, question_id));"
            "CREATE TABLE escrowed_puks (card_id TEXT PRIMARY KEY REFERENCES cards(card_id), iv BLOB NOT NULL, "
            "ciphertext BLOB NOT NULL, created_at TEXT NOT NULL);"
            "CREATE TABLE offline_unblocks (card_id TEXT NOT NULL, at TEXT NOT NULL, operator TEXT NOT NULL);"
            "CREATE TABLE identification_failures (holder_id TEXT NOT NULL, at TEXT NOT NULL);"
            "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
            "INSERT INTO holders VALUES ('bob', 'Bob', 'x');"
            "INSERT INTO cards VALUES ('c1', 'bob', 'staff', 'aes192', 1, 'active', '2026-01-01T00:00:00Z', 'x');"
            "INSERT INTO meta VALUES ('audit_head', '4 abcd');"
            "PRAGMA user_version = 1;");
  chmod(path.c_str(), 0600);
  auto o = existing();
  o.installation_id = "feed";
  auto inv = Inventory::open(path, o);
  CHECK(inv.schema_version() == Inventory::current_schema_version());
  CHECK(inv.installation_id() == "feed");
  CHECK(inv.find_card("c1")->state == CardState::active);
  CHECK(inv.audit_head()->first == 4);
  CHECK(inv.check_rows().empty());
}
