// The keystore opened by an operator's card (card_unlock.hpp): the file key wrapped for the card's slot 9D public
// key, unwrapped with the ECDH the card computes; a wrong card key, an edited entry, an edited or truncated file
// and a passphrase change.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "cardctl/asym.hpp"
#include "cardctl/card_unlock.hpp"
#include "cardctl/error.hpp"
#include "cardctl/files.hpp"
#include "cardctl/keystore.hpp"

using namespace cardctl;
using store::CardUnlockEntry;
using store::CardUnlockFile;
using store::Keystore;

namespace {
struct TempDir {
  std::string path;
  TempDir() {
    char t[] = "/tmp/cardctl-cu-XXXXXX";
    path = mkdtemp(t);
  }
  ~TempDir() { std::system(("rm -rf " + path).c_str()); }
};
const store::KeystoreOptions kFast{false, {1024, 8, 1}, nullptr, 1, std::nullopt};
Passphrase pass(const char* p = "correct horse battery") { return Passphrase::from_text(p); }
Bytes copy(ByteView b) { return Bytes(b.begin(), b.end()); }

// What the card does: ECDH of its slot 9D key with the entry's ephemeral point.
SecureBytes card_ecdh(const crypto::KeyPair& card, const CardUnlockEntry& e) { return card.ecdh(e.ephemeral_point); }

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

std::string text_of(const std::string& path) {
  Bytes b = files::read(path);
  return std::string(b.begin(), b.end());
}
void write_text(const std::string& path, const std::string& text) {
  files::write_atomic(path, to_bytes(text), 0600);
}
}  // namespace

TEST_CASE("a card's entry opens the keystore; another card's key does not") {
  TempDir d;
  const std::string path = d.path + "/keystore";
  auto ks = Keystore::create(path, pass(), kFast);
  for (auto a : {crypto::KeyAlgorithm::eccp256, crypto::KeyAlgorithm::eccp384}) {
    CAPTURE(crypto::name(a));
    auto card = crypto::KeyPair::generate(a);
    CardUnlockEntry e = ks.wrap_file_key("desk", "81001", card.public_spki_der());
    CHECK(e.operator_name == "desk");
    CHECK(e.card_id == "81001");
    CHECK(e.nonce.size() == 12);
    CHECK(e.wrapped.size() == 48);
    SecureBytes key = store::unwrap_from_card(e, ks.installation_id(), card_ecdh(card, e));
    auto opened = Keystore::open_with_file_key(path, key);
    CHECK(copy(opened.master(1).bytes()) == copy(ks.master(1).bytes()));
    CHECK(opened.installation_id() == ks.installation_id());

    auto other = crypto::KeyPair::generate(a);
    Error wrong = error_of([&] { store::unwrap_from_card(e, ks.installation_id(), card_ecdh(other, e)); });
    CHECK(wrong.kind() == ErrorKind::auth_failed);
    CHECK(std::string(wrong.what()).find("card 81001 does not open its entry for operator desk") != std::string::npos);
    CHECK(wrong.hint().find("cardctl operator add-card desk") != std::string::npos);
  }
  // An RSA key cannot do ECDH; garbage is not a key.
  auto rsa = crypto::KeyPair::generate(crypto::KeyAlgorithm::rsa2048);
  CHECK(error_of([&] { ks.wrap_file_key("desk", "81001", rsa.public_spki_der()); }).kind() == ErrorKind::unsupported);
  CHECK(error_of([&] { ks.wrap_file_key("desk", "81001", from_hex("3003020101")); }).kind() == ErrorKind::wrong_data);
  CHECK(error_of([&] { ks.wrap_file_key("two words", "81001", rsa.public_spki_der()); }).kind() == ErrorKind::usage);
}

TEST_CASE("an edited entry, or one moved to another operator, card or installation, does not open") {
  TempDir d;
  auto ks = Keystore::create(d.path + "/keystore", pass(), kFast);
  auto card = crypto::KeyPair::generate(crypto::KeyAlgorithm::eccp256);
  const CardUnlockEntry e = ks.wrap_file_key("desk", "81001", card.public_spki_der());
  const std::string id = ks.installation_id();
  auto refused = [&](const CardUnlockEntry& edited, const std::string& installation) {
    return error_of([&] { store::unwrap_from_card(edited, installation, card_ecdh(card, edited)); }).kind() ==
           ErrorKind::auth_failed;
  };
  CHECK(refused(e, std::string(32, '0')));
  CardUnlockEntry x = e;
  x.operator_name = "owner";
  CHECK(refused(x, id));
  x = e;
  x.card_id = "81002";
  CHECK(refused(x, id));
  x = e;
  x.wrapped[0] ^= 1;
  CHECK(refused(x, id));
  x = e;
  x.nonce[11] ^= 1;
  CHECK(refused(x, id));
  x = e;
  x.card_spki = crypto::KeyPair::generate(crypto::KeyAlgorithm::eccp256).public_spki_der();
  CHECK(refused(x, id));
  // the untouched entry still opens
  CHECK(store::unwrap_from_card(e, id, card_ecdh(card, e)).size() == 32);
  // A wrong file key is a clear error from the keystore, not a crash.
  Error wrong = error_of([&] { Keystore::open_with_file_key(ks.path(), Bytes(32, 0x42)); });
  CHECK(wrong.kind() == ErrorKind::wrong_pin);
  CHECK(std::string(wrong.what()).find("the key from the operator's card is not this keystore's") != std::string::npos);
}

TEST_CASE("keystore.cards: round trip at mode 0600; a truncated, edited or foreign file is Error(io)") {
  TempDir d;
  auto ks = Keystore::create(d.path + "/keystore", pass(), kFast);
  const std::string path = store::card_unlock_path(ks.path());
  CHECK(path == d.path + "/keystore.cards");
  CHECK(CardUnlockFile::load(path).entries.empty());  // no file: no cards
  auto card1 = crypto::KeyPair::generate(crypto::KeyAlgorithm::eccp256);
  auto card2 = crypto::KeyPair::generate(crypto::KeyAlgorithm::eccp384);
  CardUnlockFile f;
  f.installation_id = ks.installation_id();
  f.put(ks.wrap_file_key("desk", "81001", card1.public_spki_der()));
  f.put(ks.wrap_file_key("owner", "81002", card2.public_spki_der()));
  f.put(ks.wrap_file_key("desk", "81001", card1.public_spki_der()));  // the same pair again replaces it
  f.save(path);
  struct stat st {};
  REQUIRE(stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);

  auto again = CardUnlockFile::load(path);
  CHECK(again.installation_id == ks.installation_id());
  REQUIRE(again.entries.size() == 2);
  CHECK(again.operator_of("81002") == "owner");
  CHECK(again.operator_of("99999") == "");
  auto e = again.for_card("81002");
  REQUIRE(e.size() == 1);
  CHECK(store::unwrap_from_card(e[0], again.installation_id, card_ecdh(card2, e[0])).size() == 32);
  CHECK(again.remove_operator("desk") == std::vector<std::string>{"81001"});
  CHECK(again.entries.size() == 1);

  const std::string good = text_of(path);
  auto damaged = [&](const std::string& text) {
    write_text(path, text);
    Error err = error_of([&] { CardUnlockFile::load(path); });
    CHECK(err.kind() == ErrorKind::io);
    CHECK(std::string(err.what()).find("the card-unlock file " + path + " is damaged") != std::string::npos);
    CHECK(!err.hint().empty());
    return std::string(err.what());
  };
  for (std::size_t n : {std::size_t{0}, std::size_t{5}, std::size_t{40}, good.size() / 2, good.size() - 1})
    CHECK(damaged(good.substr(0, n)).find(n == 0 ? "empty" : "truncated") != std::string::npos);
  // cut at a line end: the end line is missing
  CHECK(damaged(good.substr(0, good.rfind("end "))).find("truncated") != std::string::npos);
  // an entry line deleted: the count says so
  auto second = good.find("\ncard ", good.find("\ncard ") + 1);
  auto second_end = good.find('\n', second + 1);
  CHECK(damaged(good.substr(0, second) + good.substr(second_end)).find("entries missing") != std::string::npos);
  damaged("hello\n");
  damaged(good + "card x\n");
  std::string bad_hex = good;
  bad_hex[good.find("card desk 81001 ") + 16] = 'z';
  damaged(bad_hex);
  // group-readable: refused
  write_text(path, good);
  chmod(path.c_str(), 0644);
  CHECK(error_of([&] { CardUnlockFile::load(path); }).kind() == ErrorKind::io);
}

TEST_CASE("a new passphrase: the cards are wrapped again and still open the keystore") {
  TempDir d;
  auto ks = Keystore::create(d.path + "/keystore", pass(), kFast);
  auto card = crypto::KeyPair::generate(crypto::KeyAlgorithm::eccp256);
  const std::string path = store::card_unlock_path(ks.path());
  CardUnlockFile f;
  f.installation_id = ks.installation_id();
  f.put(ks.wrap_file_key("desk", "81001", card.public_spki_der()));
  f.save(path);
  const auto before = f.entries.front();

  ks.change_passphrase(pass("a new and longer passphrase"));
  auto after = CardUnlockFile::load(path);
  REQUIRE(after.entries.size() == 1);
  const auto& e = after.entries.front();
  CHECK(e.ephemeral_point != before.ephemeral_point);  // a fresh wrap
  SecureBytes key = store::unwrap_from_card(e, after.installation_id, card_ecdh(card, e));
  auto opened = Keystore::open_with_file_key(ks.path(), key);
  CHECK(copy(opened.master(1).bytes()) == copy(ks.master(1).bytes()));
  // the old entry holds the old key, which no longer opens the keystore
  SecureBytes old_key = store::unwrap_from_card(before, after.installation_id, card_ecdh(card, before));
  CHECK(error_of([&] { Keystore::open_with_file_key(ks.path(), old_key); }).kind() == ErrorKind::wrong_pin);
  // saving a keystore opened by the card keeps the passphrase working
  opened.rotate();
  opened.save();
  CHECK(Keystore::open(ks.path(), pass("a new and longer passphrase")).current_version() == 2);
}
