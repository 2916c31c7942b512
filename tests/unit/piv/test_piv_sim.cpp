// The PIV session against the reference card: flows a user relies on.
#include <doctest/doctest.h>

#include "card_connection.hpp"
#include "cardctl/piv.hpp"
#include "cardctl/sim_card.hpp"

using namespace cardctl;
using crypto::AdminAlgorithm;

namespace {
AdminKey factory_key() { return AdminKey(ByteView(piv::factory::management_key)); }
sim::ReferenceCard make_card(std::uint32_t serial = 12345678, bool admin_reset = true) {
  sim::CardOptions o;
  o.serial = serial;
  o.admin_pin_reset = admin_reset;
  return sim::ReferenceCard::factory(o);
}
}  // namespace

TEST_CASE("factory state: version, serial, retries, default TDES admin key") {
  auto card = make_card();
  testing::CardConnection conn(card);
  piv::PivSession s(conn);
  CHECK(s.version().value().to_string() == "5.4.3");
  CHECK(s.serial() == 12345678u);
  CHECK(s.card_id() == "12345678");
  auto pin = s.pin_retries();
  CHECK(pin.remaining == 3);
  CHECK(pin.total == 3);
  CHECK(pin.is_default == true);
  auto mk = s.management_key_info();
  CHECK(mk.algorithm == AdminAlgorithm::tdes);
  CHECK(mk.is_default == true);
}

TEST_CASE("PIN counts down to blocked; the right PIN restores the counter") {
  auto card = make_card();
  testing::CardConnection conn(card);
  piv::PivSession s(conn);
  CHECK_THROWS_AS(s.verify_pin(Pin::from_text("000000")), Error);
  CHECK(s.pin_retries().remaining == 2);
  s.verify_pin(Pin::from_text("123456"));
  CHECK(s.pin_retries().remaining == 3);
  for (int i = 0; i < 2; ++i) CHECK_THROWS_AS(s.verify_pin(Pin::from_text("000000")), Error);
  try {
    s.verify_pin(Pin::from_text("000000"));
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::blocked);
  }
  CHECK(s.pin_retries().remaining == 0);
  CHECK_THROWS_AS(s.verify_pin(Pin::from_text("123456")), Error);  // blocked even with the right PIN
  s.reset_pin_with_puk(Puk::from_text("12345678"), Pin::from_text("654321"));
  s.verify_pin(Pin::from_text("654321"));
}

TEST_CASE("change PIN and PUK; a wrong PUK counts down") {
  auto card = make_card();
  testing::CardConnection conn(card);
  piv::PivSession s(conn);
  s.change_pin(Pin::from_text("123456"), Pin::from_text("11223344"));
  s.verify_pin(Pin::from_text("11223344"));
  s.change_puk(Puk::from_text("12345678"), Puk::from_text("87654321"));
  try {
    s.reset_pin_with_puk(Puk::from_text("12345678"), Pin::from_text("999999"));
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::wrong_pin);
    CHECK(e.retries() == 2);
    CHECK(std::string(e.what()).find("wrong PUK") != std::string::npos);
  }
  CHECK(s.puk_retries().remaining == 2);
}

TEST_CASE("mutual authentication with the right and a wrong admin key") {
  auto card = make_card();
  testing::CardConnection conn(card);
  piv::PivSession s(conn);
  s.authenticate(factory_key(), AdminAlgorithm::tdes);
  Bytes other(24, 0x42);
  try {
    s.authenticate(AdminKey(other), AdminAlgorithm::tdes);
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::auth_failed);
  }
}

TEST_CASE("every admin-key algorithm: set key, external and mutual authentication") {
  for (auto a : {AdminAlgorithm::tdes, AdminAlgorithm::aes128, AdminAlgorithm::aes192, AdminAlgorithm::aes256}) {
    CAPTURE(crypto::info(a).name);
    auto card = make_card();
    testing::CardConnection conn(card);
    piv::PivSession s(conn);
    s.authenticate(factory_key(), AdminAlgorithm::tdes);
    Bytes raw = crypto::random_bytes(crypto::info(a).key_length);
    s.set_management_key(AdminKey(raw), a);
    CHECK(s.management_key_info().algorithm == a);
    CHECK(s.management_key_info().is_default == false);
    s.authenticate(AdminKey(raw), a);
    Bytes challenge = s.begin_external_auth(a);
    CHECK(challenge.size() == crypto::info(a).block_length);
    s.finish_external_auth(a, crypto::encrypt_block(a, raw, challenge));
  }
}

TEST_CASE("external auth: a wrong response fails and uses the challenge up") {
  auto card = make_card();
  testing::CardConnection conn(card);
  piv::PivSession s(conn);
  Bytes challenge = s.begin_external_auth(AdminAlgorithm::tdes);
  Bytes wrong = crypto::encrypt_block(AdminAlgorithm::tdes, Bytes(24, 0x42), challenge);
  try {
    s.finish_external_auth(AdminAlgorithm::tdes, wrong);
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("wrong response") != std::string::npos);
  }
  // The right response is now too late: the challenge is gone, and the tool says to start again.
  Bytes right = crypto::encrypt_block(AdminAlgorithm::tdes, ByteView(piv::factory::management_key), challenge);
  try {
    s.finish_external_auth(AdminAlgorithm::tdes, right);
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("no longer holds the challenge") != std::string::npos);
  }
}

TEST_CASE("admin PIN reset needs 9B and a card that allows it") {
  auto card = make_card();
  testing::CardConnection conn(card);
  piv::PivSession s(conn);
  CHECK_THROWS_AS(s.reset_pin_as_admin(Pin::from_text("24681357")), Error);  // not authenticated
  s.authenticate(factory_key(), AdminAlgorithm::tdes);
  s.reset_pin_as_admin(Pin::from_text("24681357"));
  s.verify_pin(Pin::from_text("24681357"));

  auto plain = make_card(1, false);
  testing::CardConnection conn2(plain);
  piv::PivSession s2(conn2);
  s2.authenticate(factory_key(), AdminAlgorithm::tdes);
  try {
    s2.reset_pin_as_admin(Pin::from_text("24681357"));
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::unsupported);
    CHECK(e.hint().find("--puc") != std::string::npos);
  }
}

TEST_CASE("a blocked PIN: external authentication with the computed response, then admin reset restores it") {
  for (auto a : {AdminAlgorithm::tdes, AdminAlgorithm::aes128, AdminAlgorithm::aes192, AdminAlgorithm::aes256}) {
    CAPTURE(crypto::info(a).name);
    auto card = make_card();
    testing::CardConnection conn(card);
    piv::PivSession s(conn);
    Bytes raw = crypto::random_bytes(crypto::info(a).key_length);
    s.authenticate(factory_key(), AdminAlgorithm::tdes);
    s.set_management_key(AdminKey(raw), a);
    card.reset();  // a new card session: no PIN, no 9B rights
    s.select();
    for (int i = 0; i < 3; ++i) CHECK_THROWS_AS(s.verify_pin(Pin::from_text("000000")), Error);
    CHECK(s.pin_retries().remaining == 0);
    Bytes challenge = s.begin_external_auth(a);
    s.finish_external_auth(a, crypto::encrypt_block(a, raw, challenge));  // what the helpdesk computes
    s.reset_pin_as_admin(Pin::from_text("5792468"));
    CHECK(s.pin_retries().remaining == 3);
    s.verify_pin(Pin::from_text("5792468"));
  }
}

TEST_CASE("the reference card's answers read as the user sees them") {
  auto card = make_card();
  testing::CardConnection conn(card);
  piv::PivSession s(conn);
  try {
    s.verify_pin(Pin::from_text("000000"));
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) == "verifying the PIN: wrong PIN, 2 tries left");
  }
  s.verify_pin(Pin::from_text("123456"));
  CHECK(s.pin_verified());
  CHECK(s.pin_retries().remaining == 3);  // known from metadata even while verified
  try {
    s.put_object(piv::object::chuid, from_hex("3400"));  // no 9B authentication
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::security_status);
    CHECK(std::string(e.what()).rfind("writing object 5FC102: ", 0) == 0);
  }
}

TEST_CASE("generate, sign and verify in each algorithm; PIN policy enforced") {
  struct Case {
    std::uint8_t slot;
    crypto::KeyAlgorithm alg;
  };
  for (auto c : {Case{0x9A, crypto::KeyAlgorithm::eccp256}, Case{0x9C, crypto::KeyAlgorithm::eccp384},
                 Case{0x9D, crypto::KeyAlgorithm::rsa2048}}) {
    CAPTURE(crypto::name(c.alg));
    auto card = make_card();
    testing::CardConnection conn(card);
    piv::PivSession s(conn);
    s.authenticate(factory_key(), AdminAlgorithm::tdes);
    Bytes spki = s.generate_key(c.slot, c.alg);
    Bytes data = to_bytes("a document");
    CHECK_THROWS_AS(s.sign_sha256(c.slot, c.alg, data), Error);  // PIN not verified
    s.verify_pin(Pin::from_text("123456"));
    Bytes sig = s.sign_sha256(c.slot, c.alg, data);
    CHECK(crypto::verify_sha256_signature(spki, data, sig));
    auto info = s.slot_info(c.slot);
    REQUIRE(info.has_value());
    CHECK(info->algorithm == c.alg);
    CHECK(info->public_key_spki == spki);
    CHECK(info->generated_on_card);
    if (c.slot == 0x9C) CHECK_THROWS_AS(s.sign_sha256(c.slot, c.alg, data), Error);  // PIN always: used up
  }
}

TEST_CASE("certificates and CHUID round-trip; card_id falls back to the GUID") {
  auto card = make_card(0);
  testing::CardConnection conn(card);
  piv::PivSession s(conn);
  CHECK_THROWS_AS(s.card_id(), Error);
  s.authenticate(factory_key(), AdminAlgorithm::tdes);
  Bytes guid = from_hex("00112233445566778899aabbccddeeff");
  s.put_chuid(guid);
  CHECK(s.card_id() == "00112233445566778899aabbccddeeff");
  Bytes cert(700, 0x30);  // large enough to need chaining and GET RESPONSE
  s.put_certificate(0x9A, cert);
  CHECK(s.get_certificate(0x9A) == cert);
  CHECK_FALSE(s.get_certificate(0x9C).has_value());
  s.delete_object(piv::object::cert_authentication);
  CHECK_FALSE(s.get_certificate(0x9A).has_value());
}

TEST_CASE("state survives save and load, including a pending challenge") {
  char dir[] = "/tmp/cardctl-sim-XXXXXX";
  REQUIRE(mkdtemp(dir) != nullptr);
  std::string path = std::string(dir) + "/card";
  Bytes challenge;
  {
    auto card = make_card();
    testing::CardConnection conn(card);
    piv::PivSession s(conn);
    challenge = s.begin_external_auth(AdminAlgorithm::tdes);
    card.save(path);
  }
  auto card = sim::ReferenceCard::load(path);
  testing::CardConnection conn(card);
  piv::PivSession s(conn, {.hold_transaction = true, .select_on_open = false, .trace = {}});
  s.finish_external_auth(AdminAlgorithm::tdes,
                         crypto::encrypt_block(AdminAlgorithm::tdes, ByteView(piv::factory::management_key), challenge));
  std::remove(path.c_str());
  rmdir(dir);
}

TEST_CASE("the card vanishes after n APDUs and says so") {
  auto card = make_card();
  testing::CardConnection conn(card);
  piv::PivSession s(conn);
  card.vanish_after(1);
  CHECK_NOTHROW(s.serial());
  try {
    s.serial();
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::card_removed);
  }
  CHECK(card.vanished());
}

TEST_CASE("RESET only when PIN and PUK are both blocked") {
  auto card = make_card();
  testing::CardConnection conn(card);
  piv::PivSession s(conn);
  CHECK_THROWS_AS(s.reset_application(), Error);
  for (int i = 0; i < 3; ++i) CHECK_THROWS_AS(s.verify_pin(Pin::from_text("000000")), Error);
  for (int i = 0; i < 3; ++i) CHECK_THROWS_AS(s.change_puk(Puk::from_text("00000000"), Puk::from_text("11111111")), Error);
  s.reset_application();
  s.verify_pin(Pin::from_text("123456"));
}

TEST_CASE("ECDH in slot 9D on the reference card: the PIN first, then the secret both sides compute") {
  for (auto alg : {crypto::KeyAlgorithm::eccp256, crypto::KeyAlgorithm::eccp384}) {
    CAPTURE(crypto::name(alg));
    auto card = make_card();
    testing::CardConnection conn(card);
    piv::PivSession s(conn);
    s.authenticate(factory_key(), AdminAlgorithm::tdes);
    Bytes spki = s.generate_key(0x9D, alg);
    auto peer = crypto::KeyPair::generate(alg);
    CHECK_THROWS_AS(s.ecdh(0x9D, peer.ec_point()), Error);  // PIN not verified
    s.verify_pin(Pin::from_text("123456"));
    SecureBytes secret = s.ecdh(0x9D, peer.ec_point());
    SecureBytes expected = peer.ecdh(crypto::public_key_info(spki).ec_point);
    CHECK(Bytes(secret.begin(), secret.end()) == Bytes(expected.begin(), expected.end()));
  }
}
