#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <type_traits>

#include "cardctl/error.hpp"
#include "cardctl/files.hpp"
#include "cardctl/keystore.hpp"

using namespace cardctl;
using store::Keystore;

namespace {
struct TempDir {
  std::string path;
  TempDir() {
    char t[] = "/tmp/cardctl-ks-XXXXXX";
    path = mkdtemp(t);
  }
  ~TempDir() { std::system(("rm -rf " + path).c_str()); }
};
const crypto::ScryptParams kFastScrypt{1024, 8, 1};
const store::KeystoreOptions kFast{false, kFastScrypt, nullptr, 1, std::nullopt};
Passphrase pass(const char* p = "correct horse battery") { return Passphrase::from_text(p); }

// The Error that f throws, or nullopt when it returns.
template <class F>
std::optional<Error> error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e;
  }
  return std::nullopt;
}
std::optional<Error> open_error(const std::string& path, const char* p = "correct horse battery") {
  return error_of([&] { Keystore::open(path, pass(p)); });
}
Bytes copy(ByteView b) { return Bytes(b.begin(), b.end()); }
mode_t mode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(stat(path.c_str(), &st) == 0);
  return st.st_mode & 0777;
}
}  // namespace

TEST_CASE("create, open, rotate, import, fixed keys: all survive a round trip") {
  TempDir d;
  std::string path = d.path + "/keystore";
  auto ks = Keystore::create(path, pass(), kFast);
  Bytes m1 = copy(ks.master(1).bytes());
  CHECK(ks.current_version() == 1);
  CHECK(ks.rotate() == 2);
  Bytes imported(32, 0x5A);
  CHECK(ks.import_master(imported, 7, false) == 7);
  ks.add_fixed_key("legacy", crypto::AdminAlgorithm::aes192, Bytes(24, 0x11));
  ks.save();

  auto again = Keystore::open(path, pass());
  CHECK(again.current_version() == 2);
  CHECK(again.versions() == std::vector<std::uint32_t>{1, 2, 7});
  CHECK(copy(again.master(1).bytes()) == m1);
  CHECK(copy(again.master(2).bytes()) != m1);
  CHECK(copy(again.master(7).bytes()) == imported);
  CHECK(again.fixed_key("legacy").algorithm == crypto::AdminAlgorithm::aes192);
  CHECK(copy(again.fixed_key("legacy").key.bytes()) == Bytes(24, 0x11));
  CHECK(again.fixed_key_names() == std::vector<std::string>{"legacy"});
  CHECK(copy(again.escrow_key()) == copy(ks.escrow_key()));
  CHECK(copy(again.audit_key()) == copy(ks.audit_key()));
  CHECK(copy(again.escrow_key()) != copy(again.audit_key()));
  CHECK(again.scrypt_params().n == 1024);
  auto missing = error_of([&] { again.master(3); });
  REQUIRE(missing);
  CHECK(missing->kind() == ErrorKind::not_found);
  CHECK(std::string(missing->what()).find("no master key version 3 in the keystore") != std::string::npos);
  CHECK(mode_of(path) == 0600);
}

TEST_CASE("rotation keeps every older master key, and the new one becomes current") {
  TempDir d;
  std::string path = d.path + "/keystore";
  auto ks = Keystore::create(path, pass(), kFast);
  Bytes v1 = copy(ks.master(1).bytes());
  CHECK(ks.rotate() == 2);
  CHECK(ks.rotate() == 3);
  ks.save();
  auto again = Keystore::open(path, pass());
  CHECK(again.current_version() == 3);
  CHECK(again.versions() == std::vector<std::uint32_t>{1, 2, 3});
  CHECK(copy(again.master(1).bytes()) == v1);
  CHECK(copy(again.master(2).bytes()) != copy(again.master(3).bytes()));
}

TEST_CASE("imports: a given or the next version, never a version or a key twice") {
  TempDir d;
  auto ks = Keystore::create(d.path + "/keystore", pass(), kFast);
  CHECK(ks.import_master(Bytes(32, 0x01), std::nullopt) == 2);
  CHECK(ks.current_version() == 2);
  CHECK(ks.import_master(Bytes(32, 0x02), 10, false) == 10);
  CHECK(ks.current_version() == 2);
  CHECK(ks.import_master(Bytes(32, 0x03), std::nullopt) == 11);
  auto kind = [&](ByteView key, std::optional<std::uint32_t> v) {
    auto e = error_of([&] { ks.import_master(key, v); });
    return e ? e->kind() : ErrorKind::internal;
  };
  CHECK(kind(Bytes(32, 0x04), 10) == ErrorKind::conflict);      // version in use
  CHECK(kind(Bytes(32, 0x02), 12) == ErrorKind::conflict);      // key already there as version 10
  CHECK(kind(Bytes(32, 0x04), 0) == ErrorKind::usage);          // versions start at 1
  CHECK(kind(Bytes(31, 0x04), std::nullopt) == ErrorKind::usage);  // 32 bytes only
  CHECK(ks.versions() == std::vector<std::uint32_t>{1, 2, 10, 11});
}

TEST_CASE("fixed keys: length by algorithm, one per name, a clear error when missing") {
  TempDir d;
  auto ks = Keystore::create(d.path + "/keystore", pass(), kFast);
  CHECK_THROWS_AS(ks.add_fixed_key("x", crypto::AdminAlgorithm::aes128, Bytes(24, 1)), Error);
  CHECK_THROWS_AS(ks.add_fixed_key("", crypto::AdminAlgorithm::aes128, Bytes(16, 1)), Error);
  ks.add_fixed_key("x", crypto::AdminAlgorithm::tdes, Bytes(24, 1));
  CHECK_THROWS_AS(ks.add_fixed_key("x", crypto::AdminAlgorithm::tdes, Bytes(24, 2)), Error);
  auto missing = error_of([&] { ks.fixed_key("y"); });
  REQUIRE(missing);
  CHECK(missing->kind() == ErrorKind::not_found);
}

TEST_CASE("an existing keystore is never overwritten without asking") {
  TempDir d;
  std::string path = d.path + "/keystore";
  auto first = Keystore::create(path, pass(), kFast);
  Bytes before = files::read(path);
  auto refused = error_of([&] { Keystore::create(path, pass(), kFast); });
  REQUIRE(refused);
  CHECK(refused->kind() == ErrorKind::conflict);
  CHECK(!refused->hint().empty());
  CHECK(files::read(path) == before);
  auto options = kFast;
  options.overwrite = true;
  auto second = Keystore::create(path, pass(), options);
  CHECK(copy(Keystore::open(path, pass()).master(1).bytes()) == copy(second.master(1).bytes()));
  CHECK(copy(second.master(1).bytes()) != copy(first.master(1).bytes()));
}

TEST_CASE("a wrong passphrase is a crypto error that names both causes") {
  TempDir d;
  std::string path = d.path + "/keystore";
  Keystore::create(path, pass(), kFast);
  auto e = open_error(path, "wrong passphrase!");
  REQUIRE(e);
  CHECK(e->kind() == ErrorKind::wrong_pin);
  CHECK(std::string(e->what()).find("wrong passphrase, or the file was modified") != std::string::npos);
  CHECK(open_error(path) == std::nullopt);
}

TEST_CASE("a truncated or extended file is reported as damaged, at every length") {
  TempDir d;
  std::string path = d.path + "/keystore";
  Keystore::create(path, pass(), kFast);
  Bytes good = files::read(path);
  for (std::size_t n = 0; n < good.size(); ++n) {
    CAPTURE(n);
    files::write_atomic(path, ByteView(good).first(n));
    auto e = open_error(path);
    REQUIRE(e);
    CHECK(e->kind() == ErrorKind::io);
    std::string what = e->what();
    CHECK(what.find("the keystore " + path + " is damaged") == 0);
    CHECK((what.find("truncated") != std::string::npos || what.find("empty") != std::string::npos));
  }
  Bytes longer = good;
  longer.push_back(0);
  files::write_atomic(path, longer);
  auto e = open_error(path);
  REQUIRE(e);
  CHECK(e->kind() == ErrorKind::io);
  CHECK(std::string(e->what()).find("unexpected bytes after the end") != std::string::npos);
  files::write_atomic(path, ByteView(view("something else entirely, not a keystore")));
  CHECK(open_error(path)->kind() == ErrorKind::io);
  CHECK(open_error(d.path + "/missing")->kind() == ErrorKind::not_found);
}

TEST_CASE("any flipped bit anywhere in the file is caught: never a crash, never a silent default") {
  TempDir d;
  std::string path = d.path + "/keystore";
  Keystore::create(path, pass(), kFast);
  Bytes good = files::read(path);
  for (std::size_t at = 0; at < good.size(); ++at) {
    for (std::uint8_t bit : {std::uint8_t{0x01}, std::uint8_t{0x80}}) {
      CAPTURE(at);
      CAPTURE(int(bit));
      Bytes edited = good;
      edited[at] ^= bit;
      files::write_atomic(path, edited);
      auto e = open_error(path);
      REQUIRE(e);
      CHECK((e->kind() == ErrorKind::wrong_pin || e->kind() == ErrorKind::io || e->kind() == ErrorKind::unsupported));
    }
  }
}

TEST_CASE("changing the passphrase: the old one stops working, the keys stay") {
  TempDir d;
  std::string path = d.path + "/keystore";
  auto ks = Keystore::create(path, pass(), kFast);
  Bytes m1 = copy(ks.master(1).bytes());
  CHECK_THROWS_AS(ks.change_passphrase(Passphrase::from_text("short")), Error);
  ks.change_passphrase(Passphrase::from_text("a new and longer passphrase"));
  CHECK(open_error(path)->kind() == ErrorKind::wrong_pin);
  auto again = Keystore::open(path, Passphrase::from_text("a new and longer passphrase"));
  CHECK(copy(again.master(1).bytes()) == m1);
  CHECK(mode_of(path) == 0600);
  // Saving again (a fresh nonce) gives another file that still opens with the new passphrase.
  Bytes before = files::read(path);
  again.rotate();
  again.save();
  CHECK(files::read(path) != before);
  CHECK(Keystore::open(path, Passphrase::from_text("a new and longer passphrase")).current_version() == 2);
}

TEST_CASE("the default key derivation is strong; weak or runaway parameters are refused") {
  CHECK(crypto::ScryptParams{}.n >= (1u << 15));
  CHECK(store::KeystoreOptions{}.scrypt.n >= (1u << 15));
  TempDir d;
  std::string path = d.path + "/keystore";
  Keystore::create(path, pass());
  CHECK(Keystore::open(path, pass()).scrypt_params().n == crypto::ScryptParams{}.n);
  for (crypto::ScryptParams bad : {crypto::ScryptParams{512, 8, 1}, crypto::ScryptParams{1000, 8, 1},
                                   crypto::ScryptParams{1u << 30, 8, 1}, crypto::ScryptParams{1u << 15, 8, 1000}}) {
    CAPTURE(bad.n);
    auto e = error_of([&] { Keystore::create(d.path + "/other", pass(), {false, bad, nullptr, 1, std::nullopt}); });
    REQUIRE(e);
    CHECK(e->kind() == ErrorKind::usage);
  }
  CHECK_FALSE(files::exists(d.path + "/other"));
}

TEST_CASE("a short passphrase is refused") {
  TempDir d;
  CHECK_THROWS_AS(Keystore::create(d.path + "/k", Passphrase::from_text("short"), kFast), Error);
  CHECK_FALSE(files::exists(d.path + "/k"));
}

TEST_CASE("a keystore written in format 1 (no length in the header) still opens") {
  // Format 1: "cardctl-keys-v1\n" | N (8) | r (4) | p (4) | salt (16) | nonce (12), that header the AAD.
  TempDir d;
  std::string path = d.path + "/keystore";
  Bytes header(view("cardctl-keys-v1\n").begin(), view("cardctl-keys-v1\n").end());
  for (std::uint8_t b : {0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 8, 0, 0, 0, 1}) header.push_back(b);
  Bytes salt(16, 0xA5), nonce(12, 0x3C);
  header.insert(header.end(), salt.begin(), salt.end());
  header.insert(header.end(), nonce.begin(), nonce.end());
  Bytes master(32, 0x42), escrow(32, 0x43), audit(32, 0x44);
  Bytes payload{'M', 0, 0, 0, 1};
  payload.insert(payload.end(), master.begin(), master.end());
  for (std::uint8_t b : Bytes{'C', 0, 0, 0, 1, 'E'}) payload.push_back(b);
  payload.insert(payload.end(), escrow.begin(), escrow.end());
  payload.push_back('A');
  payload.insert(payload.end(), audit.begin(), audit.end());
  SecureBytes key = crypto::scrypt(pass().bytes(), salt, 32, kFastScrypt);
  files::write_atomic(path, concat({header, crypto::aes_gcm_seal(key, nonce, header, payload)}));

  auto ks = Keystore::open(path, pass());
  CHECK(copy(ks.master(1).bytes()) == master);
  CHECK(copy(ks.escrow_key()) == escrow);
  CHECK(copy(ks.audit_key()) == audit);
  ks.save();  // rewritten in the current format
  CHECK(files::read(path)[14] == '2');
  CHECK(copy(Keystore::open(path, pass()).master(1).bytes()) == master);
}

TEST_CASE("create from an imported MasterKey: the keystore keeps its own copy under the given version") {
  static_assert(std::is_same_v<decltype(store::KeystoreOptions::initial_master), const MasterKey*>);
  TempDir d;
  const std::string path = d.path + "/keystore";
  const MasterKey imported(Bytes(32, 0x3C));
  auto options = kFast;
  options.initial_master = &imported;
  options.initial_version = 4;
  {
    auto ks = Keystore::create(path, pass(), options);
    CHECK(ks.current_version() == 4);
    CHECK(ks.versions() == std::vector<std::uint32_t>{4});
    CHECK(ks.master(4).bytes().data() != imported.bytes().data());  // a copy, not a view of the caller's key
  }
  CHECK(copy(imported.bytes()) == Bytes(32, 0x3C));  // the caller's key is left as it was
  CHECK(copy(Keystore::open(path, pass()).master(4).bytes()) == Bytes(32, 0x3C));

  const MasterKey short_key(Bytes(31, 0x3C));
  options.initial_master = &short_key;
  options.overwrite = true;
  auto refused = error_of([&] { Keystore::create(path, pass(), options); });
  REQUIRE(refused);
  CHECK(refused->kind() == ErrorKind::usage);
}

// docs/architecture.md#master-keys-in-a-pkcs11-token: a version may be a key object in a token, named by URI.
TEST_CASE("master keys in a PKCS#11 token: recorded by URI, round-trip, never read as key bytes") {
  TempDir d;
  const std::string path = d.path + "/keystore";
  const std::string uri1 = "pkcs11:token=cardctl;object=cardctl-master-v1";
  auto options = kFast;
  options.initial_token_uri = uri1;
  auto ks = Keystore::create(path, pass(), options);
  CHECK(ks.current_version() == 1);
  CHECK(ks.versions() == std::vector<std::uint32_t>{1});
  CHECK(ks.in_token(1));
  CHECK_FALSE(ks.in_token(2));
  CHECK(ks.token_uri(1) == uri1);
  CHECK(files::read(path)[14] == '3');  // a format older cardctl refuses as newer, not as damaged

  auto refused = error_of([&] { ks.master(1); });
  REQUIRE(refused);
  CHECK(refused->kind() == ErrorKind::unsupported);
  CHECK(std::string(refused->what()).find("PKCS#11 token") != std::string::npos);

  CHECK(ks.rotate() == 2);  // a key in the file can follow one in a token
  CHECK(ks.add_token_master("pkcs11:token=cardctl;object=cardctl-master-v3", std::nullopt) == 3);
  CHECK(ks.current_version() == 3);
  CHECK(ks.add_token_master("pkcs11:token=other;object=k9", 9, false) == 9);
  CHECK(ks.current_version() == 3);
  Bytes m2 = copy(ks.master(2).bytes());
  ks.save();

  auto again = Keystore::open(path, pass());
  CHECK(again.versions() == std::vector<std::uint32_t>{1, 2, 3, 9});
  CHECK(again.current_version() == 3);
  CHECK(again.in_token(1));
  CHECK_FALSE(again.in_token(2));
  CHECK(again.in_token(3));
  CHECK(again.token_uri(3) == "pkcs11:token=cardctl;object=cardctl-master-v3");
  CHECK(again.token_uri(9) == "pkcs11:token=other;object=k9");
  CHECK(copy(again.master(2).bytes()) == m2);
  CHECK(copy(again.escrow_key()) == copy(ks.escrow_key()));  // escrow and audit keys stay in the file
  CHECK(copy(again.audit_key()) == copy(ks.audit_key()));
  CHECK(again.installation_id() == ks.installation_id());
  auto in_file = error_of([&] { again.token_uri(2); });
  REQUIRE(in_file);
  CHECK(in_file->kind() == ErrorKind::usage);
  auto missing = error_of([&] { again.token_uri(4); });
  REQUIRE(missing);
  CHECK(missing->kind() == ErrorKind::not_found);

  auto cloned = again.clone();
  CHECK(cloned.in_token(1));
  CHECK(cloned.token_uri(1) == uri1);
  CHECK(cloned.versions() == again.versions());

  // The next version follows the highest, wherever it is kept.
  CHECK(again.import_master(Bytes(32, 0x61), std::nullopt, false) == 10);
  CHECK(again.rotate() == 11);
}

TEST_CASE("a token version: never twice, never a version in use, only a pkcs11: URI without a PIN") {
  TempDir d;
  auto ks = Keystore::create(d.path + "/keystore", pass(), kFast);
  const std::string uri = "pkcs11:token=cardctl;object=m";
  CHECK(ks.add_token_master(uri, std::nullopt) == 2);
  auto twice = error_of([&] { ks.add_token_master(uri, std::nullopt); });
  REQUIRE(twice);
  CHECK(twice->kind() == ErrorKind::conflict);
  auto used = error_of([&] { ks.add_token_master("pkcs11:token=cardctl;object=n", 1); });
  REQUIRE(used);
  CHECK(used->kind() == ErrorKind::conflict);
  auto imported_over = error_of([&] { ks.import_master(Bytes(32, 0x22), 2); });
  REQUIRE(imported_over);
  CHECK(imported_over->kind() == ErrorKind::conflict);
  for (const char* bad : {"", "token=cardctl;object=m", "pkcs11:token=t;object=m;pin-value=123456",
                          "pkcs11:token=t;object=m?pin-source=file:/tmp/pin"}) {
    auto e = error_of([&] { ks.add_token_master(bad, std::nullopt); });
    REQUIRE(e);
    CHECK(e->kind() == ErrorKind::usage);
    CHECK(std::string(e->what()).find("123456") == std::string::npos);
  }
  auto zero = error_of([&] { ks.add_token_master("pkcs11:token=cardctl;object=z", 0); });
  REQUIRE(zero);
  CHECK(zero->kind() == ErrorKind::usage);
  auto both = kFast;
  const MasterKey key(Bytes(32, 0x10));
  both.initial_master = &key;
  both.initial_token_uri = uri;
  both.overwrite = true;
  auto e = error_of([&] { Keystore::create(d.path + "/keystore", pass(), both); });
  REQUIRE(e);
  CHECK(e->kind() == ErrorKind::usage);
}

TEST_CASE("a keystore with every key in the file is still written as format 2, as older cardctl reads it") {
  TempDir d;
  const std::string path = d.path + "/keystore";
  auto ks = Keystore::create(path, pass(), kFast);
  ks.rotate();
  ks.save();
  CHECK(files::read(path)[14] == '2');
  auto again = Keystore::open(path, pass());
  CHECK_FALSE(again.in_token(1));
  CHECK_FALSE(again.in_token(2));
  // A format this cardctl does not know is refused as newer, not damaged.
  Bytes file = files::read(path);
  file[14] = '4';
  files::write_atomic(path, file, 0600);
  auto newer = open_error(path);
  REQUIRE(newer);
  CHECK(newer->kind() == ErrorKind::unsupported);
}
