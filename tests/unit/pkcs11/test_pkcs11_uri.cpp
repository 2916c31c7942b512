// RFC 7512 URIs for a master key in a PKCS#11 token, and the errors of PKCS#11 return values and modules: no
// token needed (tests/unit/pkcs11/test_pkcs11_softhsm.cpp has those with one).
#include <doctest/doctest.h>

#include <string>

#include "cardctl/error.hpp"
#include "cardctl/pkcs11_token.hpp"
#include "cli/helpers.hpp"  // expect_error, TempDir: not cli-specific

using namespace cardctl;
using cli_test::expect_error;
using store::Pkcs11Uri;


TEST_CASE("PKCS#11 URI: token, object and id, percent-decoded") {
  auto uri = Pkcs11Uri::parse("pkcs11:token=cardctl%20test;object=master-1;id=%01%a2%FF;type=secret-key");
  CHECK(uri.token == "cardctl test");
  CHECK(uri.object == "master-1");
  REQUIRE(uri.id.has_value());
  CHECK(to_hex(*uri.id) == "01a2ff");
  CHECK_FALSE(uri.serial.has_value());
  CHECK(uri.to_string() == "pkcs11:token=cardctl%20test;object=master-1;id=%01%A2%FF");
  CHECK(Pkcs11Uri::parse(uri.to_string()).id == uri.id);

  auto other = Pkcs11Uri::parse("PKCS11:serial=0123abcd;manufacturer=SoftHSM%20project;model=SoftHSM%20v2;object=k");
  CHECK(other.serial == "0123abcd");
  CHECK(other.manufacturer == "SoftHSM project");
  CHECK(other.model == "SoftHSM v2");
  CHECK_FALSE(other.token.has_value());
  CHECK(Pkcs11Uri::parse("pkcs11:").to_string() == "pkcs11:");
}

TEST_CASE("PKCS#11 URI: a PIN is refused, in the path or the query, and never repeated") {
  for (const char* text : {"pkcs11:token=t;object=k;pin-value=123456", "pkcs11:token=t?pin-value=123456",
                           "pkcs11:token=t;object=k?module-path=/x.so&pin-value=123456",
                           "pkcs11:pin-value=123456;token=t", "pkcs11:token=t?pin-source=file:/tmp/pin"}) {
    CAPTURE(text);
    CHECK(expect_error([&] { Pkcs11Uri::parse(text); }).kind() == ErrorKind::usage);
    std::string message = expect_error([&] { Pkcs11Uri::parse(text); }).what();
    CHECK(message.find("pin-") != std::string::npos);
    CHECK(message.find("123456") == std::string::npos);
    CHECK(message.find("never goes in a URI") != std::string::npos);
  }
}

TEST_CASE("PKCS#11 URI: what cannot name a master key is refused") {
  for (const char* text : {"token=t;object=k", "pkcs:token=t", "pkcs11:token=t;token=u", "pkcs11:object=k;id=%zz",
                           "pkcs11:id=%0", "pkcs11:object", "pkcs11:type=private;object=k",
                           "pkcs11:token=t;slot-id=3", "pkcs11:token=t?module-path=/usr/lib/x.so"}) {
    CAPTURE(text);
    CHECK(expect_error([&] { Pkcs11Uri::parse(text); }).kind() == ErrorKind::usage);
  }
}

TEST_CASE("PKCS#11 return values become the project's errors, named") {
  CHECK(store::pkcs11_rv_name(0xA0) == "CKR_PIN_INCORRECT");
  CHECK(store::pkcs11_rv_name(0x80001234) == "CKR_0x80001234");
  struct Case {
    unsigned long rv;
    ErrorKind kind;
  };
  for (auto c : {Case{0xA0, ErrorKind::wrong_pin},  // CKR_PIN_INCORRECT
                 Case{0xA4, ErrorKind::blocked},    // CKR_PIN_LOCKED
                 Case{0x70, ErrorKind::unsupported},  // CKR_MECHANISM_INVALID
                 Case{0x68, ErrorKind::policy},       // CKR_KEY_FUNCTION_NOT_PERMITTED
                 Case{0xE0, ErrorKind::card_removed},  // CKR_TOKEN_NOT_PRESENT
                 Case{0x101, ErrorKind::security_status},  // CKR_USER_NOT_LOGGED_IN
                 Case{0x80001234, ErrorKind::crypto}}) {
    CAPTURE(c.rv);
    Error e = store::pkcs11_error(c.rv, "C_Login", "logging in to PKCS#11 token 't'");
    CHECK(e.kind() == c.kind);
    CHECK(std::string(e.what()).find("logging in to PKCS#11 token 't': ") == 0);
    CHECK(std::string(e.what()).find("(C_Login: " + store::pkcs11_rv_name(c.rv) + ")") != std::string::npos);
  }
  CHECK_FALSE(store::pkcs11_error(0xA4, "C_Login", "x").hint().empty());
}

TEST_CASE("PKCS#11 module: a missing file is not_found, a file that is no module is io") {
  Pin pin = Pin::from_text("1234");
  const std::string missing = "/nonexistent/libnothing.so";
  const std::string not_a_module = std::string(CARDCTL_SOURCE_DIR) + "/README.md";
  CHECK(expect_error([&] { store::Pkcs11Token::open(missing, "pkcs11:token=t", pin); }).kind() == ErrorKind::not_found);
  CHECK(expect_error([&] { store::Pkcs11Token::open(not_a_module, "pkcs11:token=t", pin); }).kind() == ErrorKind::io);
  // The URI is checked before anything is loaded.
  CHECK(expect_error([&] { store::Pkcs11Token::open(missing, "pkcs11:pin-value=1234", pin); }).kind() == ErrorKind::usage);
}
