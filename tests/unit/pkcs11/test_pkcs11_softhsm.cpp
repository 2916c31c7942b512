// A master key in a PKCS#11 token, against SoftHSM 2 (Debian's softhsm2) in a private token directory
// (softhsm.hpp): the admin-key known answers through the token's CKM_AES_CMAC, the attributes of the keys it
// makes, and the errors. Skipped (doctest's skip) where SoftHSM 2 is not installed.
#include <doctest/doctest.h>

#include <string>
#include <thread>
#include <vector>

#include "cardctl/crypto.hpp"
#include "cardctl/error.hpp"
#include "cardctl/pkcs11_token.hpp"
#include "cli/helpers.hpp"  // expect_error, TempDir: not cli-specific
#include "softhsm.hpp"
#include "vectors.hpp"

using namespace cardctl;
using cli_test::expect_error;
using store::Pkcs11Token;

namespace {
const bool kSkip = !softhsm::installed();

Pin test_pin() { return Pin::from_text(softhsm::token().pin); }

// The module, after the private token exists: SOFTHSM2_CONF must be set before SoftHSM is first initialised, or
// it would read the system's configuration and token directory.
std::string module() {
  softhsm::token();
  return softhsm::kModule;
}

std::string uri_for(const std::string& object) {
  return std::string("pkcs11:token=") + softhsm::kLabel + ";object=" + object;
}

Pkcs11Token open(const std::string& uri) { return Pkcs11Token::open(module(), uri, test_pin()); }

}  // namespace

TEST_SUITE("SoftHSM 2" * doctest::skip(kSkip)) {
  TEST_CASE("admin-key vectors: the master key imported into the token, derived with the token's CMAC") {
    auto cases = admin_key_cases();
    REQUIRE(cases.size() == 8);
    int n = 0;
    for (const auto& c : cases) {
      CAPTURE(c.algorithm);
      CAPTURE(c.card_id);
      auto alg = crypto::admin_algorithm_from_name(c.algorithm);
      REQUIRE(alg.has_value());
      // One token session per vector: the module is initialised and finalised each time.
      std::string number = std::to_string(++n);
      Pkcs11Token token = open(uri_for("vector-" + number) + ";id=%0" + number);
      token.import_key(secure_from_hex(c.master_key));
      AdminKey key = crypto::derive_admin_key(token.prf(), *alg, c.card_id, c.key_version);
      CHECK(to_hex(key.bytes()) == c.card_key);
    }
    CHECK(n == 8);
  }

  TEST_CASE("the token's CMAC is AES-CMAC (RFC 4493) of the imported key") {
    // RFC 4493 uses AES-128; the same message under a 256-bit key is checked against OpenSSL's CMAC.
    SecureBytes key = secure_from_hex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4");
    Pkcs11Token token = open(uri_for("cmac-check"));
    token.import_key(key);
    for (std::size_t len : {0u, 1u, 16u, 40u, 64u}) {
      CAPTURE(len);
      Bytes message = crypto::random_bytes(len);
      CHECK(to_hex(token.cmac(message)) == to_hex(crypto::cmac_aes(key, message)));
    }
    // SP 800-38B's AES-256 example 2 (a 16-byte message).
    CHECK(to_hex(token.cmac(from_hex("6bc1bee22e409f96e93d7e117393172a"))) == "28a7023f452e8f82bd4bf28d8c37c35c");
  }

  TEST_CASE("a generated key: AES-256, sensitive, never extractable, sign only; its CMAC derives admin keys") {
    Pkcs11Token token = open(uri_for("generated") + ";id=%42");
    token.generate_key();
    auto a = token.key_attributes();
    CHECK(a.token);
    CHECK(a.is_private);
    CHECK(a.sensitive);
    CHECK_FALSE(a.extractable);
    CHECK(a.always_sensitive);
    CHECK(a.never_extractable);
    CHECK(a.sign);
    CHECK_FALSE(a.encrypt);
    CHECK(a.value_length == 32);

    SecureBytes mac = token.cmac(view("message"));
    CHECK(mac.size() == 16);
    CHECK(to_hex(token.cmac(view("message"))) == to_hex(mac));
    AdminKey k1 = crypto::derive_admin_key(token.prf(), crypto::AdminAlgorithm::aes256, "card-1", 1);
    AdminKey k2 = crypto::derive_admin_key(token.prf(), crypto::AdminAlgorithm::aes256, "card-2", 1);
    CHECK(k1.size() == 32);
    CHECK(to_hex(k1.bytes()) != to_hex(k2.bytes()));

    // The same label and id again is a conflict, not a second key.
    CHECK(expect_error([&] { token.generate_key(); }).kind() == ErrorKind::conflict);
  }

  TEST_CASE("an imported key is sensitive and not extractable, but the token knows it was not always so") {
    Pkcs11Token token = open(uri_for("imported"));
    token.import_key(crypto::random_bytes(32));
    auto a = token.key_attributes();
    CHECK(a.sensitive);
    CHECK_FALSE(a.extractable);
    CHECK_FALSE(a.never_extractable);
    CHECK(a.sign);
    CHECK(expect_error([&] { token.import_key(crypto::random_bytes(16)); }).kind() == ErrorKind::usage);
  }

  TEST_CASE("wrong PIN: wrong_pin, and the PIN is in no message") {
    Pin wrong = Pin::from_text("98765432");
    Error e = expect_error([&] { Pkcs11Token::open(module(), uri_for("x"), wrong); });
    CHECK(e.kind() == ErrorKind::wrong_pin);
    CHECK(std::string(e.what()).find("CKR_PIN_INCORRECT") != std::string::npos);
    CHECK(std::string(e.what()).find("98765432") == std::string::npos);
    CHECK(e.hint().find("98765432") == std::string::npos);
    // The right PIN still works afterwards (SoftHSM has no retry counter).
    CHECK_NOTHROW(open(uri_for("x")));
  }

  TEST_CASE("missing token and missing object: not_found; a PIN in the URI: usage") {
    Error no_token = expect_error([&] { Pkcs11Token::open(module(), "pkcs11:token=no-such-token", test_pin()); });
    CHECK(no_token.kind() == ErrorKind::not_found);
    CHECK(no_token.hint().find(softhsm::kLabel) != std::string::npos);  // the tokens there are listed

    Pkcs11Token token = open(uri_for("no-such-key"));
    CHECK(expect_error([&] { token.cmac(view("m")); }).kind() == ErrorKind::not_found);
    CHECK(expect_error([&] { token.key_attributes(); }).kind() == ErrorKind::not_found);

    Error pin_in_uri = expect_error([&] {
      Pkcs11Token::open(module(), uri_for("k") + ";pin-value=" + softhsm::token().pin, test_pin());
    });
    CHECK(pin_in_uri.kind() == ErrorKind::usage);
    CHECK(std::string(pin_in_uri.what()).find(softhsm::token().pin) == std::string::npos);
  }

  TEST_CASE("a URI without object or id cannot make or use a key") {
    Pkcs11Token token = open(std::string("pkcs11:token=") + softhsm::kLabel);
    CHECK(expect_error([&] { token.generate_key(); }).kind() == ErrorKind::usage);
    CHECK(expect_error([&] { token.cmac(view("m")); }).kind() == ErrorKind::usage);
  }

  TEST_CASE("one token open once per process; two tokens on one module; the PRF survives a move") {
    Pkcs11Token first = open(uri_for("once"));
    CHECK(expect_error([&] { open(uri_for("once")); }).kind() == ErrorKind::conflict);
    first.import_key(crypto::random_bytes(32));
    crypto::Prf prf = first.prf();
    SecureBytes before = prf(view("m"));
    Pkcs11Token moved = std::move(first);
    CHECK(to_hex(prf(view("m"))) == to_hex(before));
    CHECK(to_hex(moved.cmac(view("m"))) == to_hex(before));
  }

  TEST_CASE("cmac from several threads at once: one at a time on the session, all right") {
    SecureBytes key = secure_from_hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    Pkcs11Token token = open(uri_for("threads"));
    token.import_key(key);
    std::vector<std::thread> threads;
    std::vector<int> wrong(4, 0);
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([&, t] {
        auto& count = wrong[static_cast<std::size_t>(t)];
        for (int i = 0; i < 50; ++i) {
          std::string m = std::to_string(t) + "/" + std::to_string(i);
          try {
            if (to_hex(token.cmac(view(m))) != to_hex(crypto::cmac_aes(key, view(m)))) ++count;
          } catch (const Error&) {
            ++count;
          }
        }
      });
    for (auto& th : threads) th.join();
    CHECK(wrong == std::vector<int>(4, 0));
  }

  TEST_CASE("one open token, a key per version: other key objects are made and used through it") {
    const SecureBytes key1 = secure_from_hex("1111111111111111111111111111111111111111111111111111111111111111");
    const SecureBytes key2 = secure_from_hex("2222222222222222222222222222222222222222222222222222222222222222");
    Pkcs11Token token = open(uri_for("multi-v1"));
    token.import_key(key1);
    const auto v2 = store::Pkcs11Uri::parse(uri_for("multi-v2"));
    token.import_key(v2, key2);
    CHECK(token.holds(v2));
    CHECK(token.holds(store::Pkcs11Uri::parse("pkcs11:object=multi-v2")));  // no token attributes: this one
    CHECK_FALSE(token.holds(store::Pkcs11Uri::parse("pkcs11:token=another;object=multi-v2")));
    crypto::Prf prf1 = token.prf(), prf2 = token.prf(v2);
    CHECK(to_hex(prf1(view("m"))) == to_hex(crypto::cmac_aes(key1, view("m"))));
    CHECK(to_hex(prf2(view("m"))) == to_hex(crypto::cmac_aes(key2, view("m"))));
    CHECK(to_hex(token.cmac(view("m"))) == to_hex(crypto::cmac_aes(key1, view("m"))));  // the URI's own key

    const auto generated = store::Pkcs11Uri::parse("pkcs11:object=multi-v3");
    token.generate_key(generated);
    auto a = token.key_attributes(generated);
    CHECK(a.sensitive);
    CHECK_FALSE(a.extractable);
    CHECK(a.never_extractable);
    CHECK(token.prf(generated)(view("m")).size() == 16);
    CHECK(expect_error([&] { token.generate_key(generated); }).kind() == ErrorKind::conflict);
    CHECK(expect_error([&] { token.prf(store::Pkcs11Uri::parse("pkcs11:token=another;object=x")); }).kind() ==
          ErrorKind::usage);
    CHECK(expect_error([&] { token.prf(store::Pkcs11Uri::parse("pkcs11:object=multi-none"))(view("m")); }).kind() ==
          ErrorKind::not_found);
  }
}
