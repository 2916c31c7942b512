// Exact bytes on the wire for the card management key (9B), key generation, signatures and data objects, as
// yubico-piv-tool and real cards exchange them (docs/protocol.md).
#include <doctest/doctest.h>

#include <string>
#include <type_traits>
#include <vector>

#include "cardctl/piv.hpp"
#include "cardctl/tlv.hpp"
#include "scripted_connection.hpp"
#include "wire.hpp"

using namespace cardctl;
using crypto::AdminAlgorithm;
using crypto::KeyAlgorithm;
using testing::ScriptedConnection;
using namespace piv_test;

namespace {
std::string hex(ByteView b) { return to_hex_upper(b); }
}  // namespace

TEST_CASE("external authentication: 7C{81 00} for the challenge, 7C{82 E(K, C)} back (TDES and AES)") {
  const Bytes key(piv::factory::management_key.begin(), piv::factory::management_key.end());
  // P1 03 (TDES, 8-byte blocks) and 0A (AES-192, 16-byte blocks): docs/protocol.md#admin-key-authentication.
  struct Case {
    AdminAlgorithm algorithm;
    const char* p1;
    const char* challenge;
  };
  for (auto c : {Case{AdminAlgorithm::tdes, "03", "0011223344556677"},
                 Case{AdminAlgorithm::aes192, "0A", "00112233445566778899AABBCCDDEEFF"}}) {
    CAPTURE(c.p1);
    const Bytes challenge = from_hex(c.challenge);
    const Bytes response = crypto::encrypt_block(c.algorithm, key, challenge);
    const std::string n = hex(Bytes{std::uint8_t(challenge.size())});
    const std::string outer = hex(Bytes{std::uint8_t(challenge.size() + 2)});
    const std::string lc = hex(Bytes{std::uint8_t(challenge.size() + 4)});
    const std::string header = std::string("0087") + c.p1 + "9B";
    ScriptedConnection card({{kSelect, kSelectOk},
                             {header + "04 7C028100 00", "7C" + outer + "81" + n + c.challenge + "9000"},
                             {header + lc + "7C" + outer + "82" + n + hex(response), "9000"}});
    piv::PivSession s(card);
    CHECK(s.begin_external_auth(c.algorithm) == challenge);
    s.finish_external_auth(c.algorithm, response);
    CHECK(card.done());
  }
}

TEST_CASE("external authentication: a challenge of the wrong size for the algorithm is a protocol error") {
  ScriptedConnection card({{kSelect, kSelectOk}, {"0087089B 04 7C028100 00", "7C0A8108 0011223344556677 9000"}});
  piv::PivSession s(card);
  CHECK(expect_error([&] { s.begin_external_auth(AdminAlgorithm::aes128); }).kind() == ErrorKind::protocol);
}

TEST_CASE("external authentication: 6982 is a wrong response; 6A80/6985 mean the challenge is gone") {
  const std::string finish = "0087039B 0C 7C0A8208 0102030405060708";
  SUBCASE("6982") {
    ScriptedConnection card({{kSelect, kSelectOk}, {finish, "6982"}});
    piv::PivSession s(card);
    Error e = expect_error([&] { s.finish_external_auth(AdminAlgorithm::tdes, from_hex("0102030405060708")); });
    CHECK(e.kind() == ErrorKind::auth_failed);
    CHECK(std::string(e.what()).rfind("wrong response", 0) == 0);
    CHECK(e.status_word() == 0x6982);
  }
  for (const char* sw : {"6A80", "6985"}) {
    CAPTURE(sw);
    ScriptedConnection card({{kSelect, kSelectOk}, {finish, sw}});
    piv::PivSession s(card);
    Error e = expect_error([&] { s.finish_external_auth(AdminAlgorithm::tdes, from_hex("0102030405060708")); });
    CHECK(e.kind() == ErrorKind::auth_failed);
    CHECK(std::string(e.what()).find("wrong response") == std::string::npos);
    CHECK(std::string(e.what()).find("no longer holds the challenge") != std::string::npos);
    CHECK(e.hint().find("cardctl challenge") != std::string::npos);
  }
  SUBCASE("a response of the wrong length is refused before anything is sent") {
    ScriptedConnection card({{kSelect, kSelectOk}});
    piv::PivSession s(card);
    CHECK(expect_error([&] { s.finish_external_auth(AdminAlgorithm::aes128, from_hex("0102030405060708")); }).kind() ==
          ErrorKind::usage);
    CHECK(card.done());
  }
}

TEST_CASE("management key info: GET METADATA 9B, or TDES when the card has no metadata") {
  SUBCASE("metadata: AES-256, not default, touch always") {
    ScriptedConnection card({{kSelect, kSelectOk}, {"00F7009B00", "01010C 02020002 050100 9000"}});
    piv::PivSession s(card);
    auto info = s.management_key_info();
    CHECK(info.algorithm == AdminAlgorithm::aes256);
    CHECK(info.is_default == false);
    CHECK(info.touch == piv::TouchPolicy::always);
  }
  SUBCASE("6D00") {
    ScriptedConnection card({{kSelect, kSelectOk}, {"00F7009B00", "6D00"}});
    piv::PivSession s(card);
    auto info = s.management_key_info();
    CHECK(info.algorithm == AdminAlgorithm::tdes);
    CHECK_FALSE(info.is_default.has_value());
  }
}

TEST_CASE("SET MANAGEMENT KEY frames as yubico-piv-tool does (FF FF, or FF FE with touch), masked in the trace") {
  const Bytes key = from_hex("010203040506070811121314151617182122232425262728");
  std::vector<std::string> lines;
  ScriptedConnection card({{kSelect, kSelectOk},
                           {"00FFFFFF 1B 039B18" + hex(key), "9000"},
                           {"00FFFFFE 13 089B10" + hex(ByteView(key).first(16)), "9000"}});
  piv::PivSession s(card, {.hold_transaction = true, .select_on_open = true,
                           .trace = [&](const std::string& l) { lines.push_back(l); }});
  s.set_management_key(AdminKey(key), AdminAlgorithm::tdes);
  s.set_management_key(AdminKey(ByteView(key).first(16)), AdminAlgorithm::aes128, true);
  CHECK(card.done());
  REQUIRE(lines.size() == 6);
  CHECK(lines[2].rfind("> 00 FF FF FF 1B ** **", 0) == 0);
  for (const auto& l : lines) CHECK(l.find("05 06 07 08") == std::string::npos);
}

TEST_CASE("SET MANAGEMENT KEY refuses a key of the wrong length and a weak TDES key without sending") {
  ScriptedConnection card({{kSelect, kSelectOk}});
  piv::PivSession s(card);
  CHECK(expect_error([&] { s.set_management_key(AdminKey(Bytes(16, 1)), AdminAlgorithm::tdes); }).kind() ==
        ErrorKind::usage);
  Bytes weak = from_hex("0102030405060708" "0102030405060708" "1112131415161718");
  CHECK(expect_error([&] { s.set_management_key(AdminKey(weak), AdminAlgorithm::tdes); }).kind() == ErrorKind::usage);
  CHECK(card.done());
}

TEST_CASE("GENERATE: AC{80 alg [AA pin] [AB touch]}; the 7F49 point becomes a SubjectPublicKeyInfo") {
  auto key = crypto::KeyPair::generate(KeyAlgorithm::eccp256);
  const std::string reply = hex(tlv::encode(piv::tag::public_key, tlv::encode(piv::tag::ec_point, key.ec_point())));
  ScriptedConnection card({{kSelect, kSelectOk},
                           {"0047009A 05 AC03800111 00", reply + "9000"},
                           {"0047009C 0B AC09800111 AA0103 AB0102 00", reply + "9000"}});
  piv::PivSession s(card);
  CHECK(s.generate_key(0x9A, KeyAlgorithm::eccp256) == key.public_spki_der());
  CHECK(s.generate_key(0x9C, KeyAlgorithm::eccp256, piv::PinPolicy::always, piv::TouchPolicy::always) ==
        key.public_spki_der());
  CHECK(card.done());
}

TEST_CASE("GENERATE RSA-2048: the 61xx remainder is fetched and the key parsed") {
  auto key = crypto::KeyPair::generate(KeyAlgorithm::rsa2048);
  Bytes body = tlv::encode(piv::tag::rsa_modulus, key.rsa_modulus());
  tlv::append(body, piv::tag::rsa_exponent, key.rsa_exponent());
  const Bytes reply = tlv::encode(piv::tag::public_key, body);
  REQUIRE(reply.size() > 256);
  const std::string rest = hex(Bytes{std::uint8_t(reply.size() - 256)});
  ScriptedConnection card({{kSelect, kSelectOk},
                           {"0047009A 05 AC03800107 00", hex(ByteView(reply).first(256)) + "61" + rest},
                           {"00C00000" + rest, hex(ByteView(reply).subspan(256)) + "9000"}});
  piv::PivSession s(card);
  CHECK(s.generate_key(0x9A, KeyAlgorithm::rsa2048) == key.public_spki_der());
}

TEST_CASE("GENERATE: an EC point that is not on the curve is refused, not returned") {
  ScriptedConnection card({{kSelect, kSelectOk},
                           {"0047009A 05 AC03800111 00", "7F4943 8641 04" + std::string(128, '0') + "9000"}});
  piv::PivSession s(card);
  CHECK_THROWS_AS(s.generate_key(0x9A, KeyAlgorithm::eccp256), Error);
}

TEST_CASE("ECDSA signing sends 7C{82 00, 81 SHA-256} (left-padded to 48 bytes for P-384)") {
  const Bytes data = to_bytes("a document");
  const Bytes digest = crypto::sha256(data);
  auto p256 = crypto::KeyPair::generate(KeyAlgorithm::eccp256);
  auto p384 = crypto::KeyPair::generate(KeyAlgorithm::eccp384);
  const Bytes padded = concat({Bytes(16, 0x00), digest});
  const Bytes sig256 = p256.ecdsa_sign_digest(digest), sig384 = p384.ecdsa_sign_digest(padded);
  auto wrap = [](ByteView sig) {
    return hex(tlv::encode(piv::tag::dynamic_auth, tlv::encode(piv::tag::response, sig))) + "9000";
  };
  ScriptedConnection card({{kSelect, kSelectOk},
                           {"0087119A 26 7C24 8200 8120" + hex(digest) + "00", wrap(sig256)},
                           {"0087149C 36 7C34 8200 8130" + hex(padded) + "00", wrap(sig384)}});
  piv::PivSession s(card);
  Bytes got256 = s.sign_sha256(0x9A, KeyAlgorithm::eccp256, data);
  Bytes got384 = s.sign_sha256(0x9C, KeyAlgorithm::eccp384, data);
  CHECK(crypto::verify_sha256_signature(p256.public_spki_der(), data, got256));
  CHECK(crypto::verify_sha256_signature(p384.public_spki_der(), data, got384));
  CHECK(card.done());
}

TEST_CASE("RSA-2048 signing sends a PKCS#1 v1.5 SHA-256 block, chained as yubico-piv-tool does") {
  const Bytes data = to_bytes("a document");
  Bytes block(256, 0xFF);
  block[0] = 0x00;
  block[1] = 0x01;
  const Bytes t = concat({from_hex("3031300D060960864801650304020105000420"), crypto::sha256(data)});
  block[256 - t.size() - 1] = 0x00;
  std::copy(t.begin(), t.end(), block.end() - static_cast<long>(t.size()));
  auto key = crypto::KeyPair::generate(KeyAlgorithm::rsa2048);
  const Bytes sig = key.rsa_raw_private(block);
  const Bytes body = from_hex("7C820106 8200 81820100" + hex(block));  // 266 bytes: 255 + 11
  const Bytes reply = tlv::encode(piv::tag::dynamic_auth, tlv::encode(piv::tag::response, sig));
  const std::size_t rest = reply.size() - 256;
  ScriptedConnection card({{kSelect, kSelectOk},
                           {"1087079A FF" + hex(ByteView(body).first(255)), "9000"},
                           {"0087079A 0B" + hex(ByteView(body).subspan(255)) + "00",
                            hex(ByteView(reply).first(256)) + "61" + hex(Bytes{std::uint8_t(rest)})},
                           {"00C00000" + hex(Bytes{std::uint8_t(rest)}), hex(ByteView(reply).subspan(256)) + "9000"}});
  piv::PivSession s(card);
  Bytes got = s.sign_sha256(0x9A, KeyAlgorithm::rsa2048, data);
  CHECK(got == sig);
  CHECK(crypto::verify_sha256_signature(key.public_spki_der(), data, got));
}

TEST_CASE("a signature without the PIN: 6982 with the slot in the message") {
  ScriptedConnection card({{kSelect, kSelectOk}, {"0087119A 06 7C04 8200 8100 00", "6982"}});
  piv::PivSession s(card);
  Error e = expect_error([&] { s.general_authenticate_sign(0x9A, KeyAlgorithm::eccp256, {}); });
  CHECK(e.kind() == ErrorKind::security_status);
  CHECK(std::string(e.what()).rfind("signing with the key in slot 9a: ", 0) == 0);
}

TEST_CASE("import certificate: 5C 5FC105, 53{70 DER, 71 00, FE 00}, chained in 255-byte blocks") {
  Bytes der = from_hex("3082010E");
  der.resize(274, 0xA5);  // 0x112 bytes: longer than one short APDU, so the PUT DATA is chained
  const Bytes body = concat({from_hex("5C035FC105 5382011B 70820112"), der, from_hex("710100 FE00")});
  REQUIRE(body.size() == 292);
  ScriptedConnection card({{kSelect, kSelectOk},
                           {"10DB3FFF FF" + hex(ByteView(body).first(255)), "9000"},
                           {"00DB3FFF 25" + hex(ByteView(body).subspan(255)), "9000"},
                           {"00DB3FFF 07 5C035FC105 5300", "9000"}});
  piv::PivSession s(card);
  s.put_certificate(0x9A, der);
  s.delete_object(piv::object::cert_authentication);  // yubico-piv-tool -a delete-certificate (§3.11)
  CHECK(card.done());
}

TEST_CASE("read certificate: the DER from tag 70; absent (6A82) is nullopt; compressed is refused") {
  ScriptedConnection card({{kSelect, kSelectOk},
                           {"00CB3FFF 05 5C035FC105 00", "530B 7004 30020500 710100 FE00 9000"},
                           {"00CB3FFF 05 5C035FC10A 00", "6A82"},
                           {"00CB3FFF 05 5C035FC10B 00", "530B 7004 1F8B0800 710101 FE00 9000"}});
  piv::PivSession s(card);
  CHECK(s.get_certificate(0x9A) == from_hex("30020500"));
  CHECK_FALSE(s.get_certificate(0x9C).has_value());
  CHECK(expect_error([&] { s.get_certificate(0x9D); }).kind() == ErrorKind::unsupported);
  CHECK(expect_error([&] { s.get_certificate(0x9B); }).kind() == ErrorKind::usage);  // 9B holds no certificate
}

TEST_CASE("CHUID: FASC-N 30, GUID 34, expiry 35 \"20300101\", empty signature 3E, FE 00 (yubico-piv-tool set-chuid)") {
  const Bytes guid = from_hex("00112233445566778899AABBCCDDEEFF");
  ScriptedConnection card({{kSelect, kSelectOk},
                           {"00DB3FFF 42 5C035FC102 533B"
                            "3019 D4E739DA739CED39CE739D836858210842108421C84210C3EB"
                            "3410" + hex(guid) + "3508 3230333030313031 3E00 FE00",
                            "9000"}});
  piv::PivSession s(card);
  s.put_chuid(guid);
  CHECK(card.done());
  CHECK(expect_error([&] { s.put_chuid(from_hex("0011")); }).kind() == ErrorKind::usage);
}

TEST_CASE("GET DATA: the discovery object keeps its own 7E template; a PIN-protected object says so") {
  ScriptedConnection card({{kSelect, kSelectOk},
                           {"00CB3FFF 03 5C017E 00", "7E12 4F0BA0000003080000100001005F2F024000 9000"},
                           {"00CB3FFF 05 5C035FC109 00", "6982"}});
  piv::PivSession s(card);
  CHECK(s.get_object(piv::object::discovery) == from_hex("4F0BA0000003080000100001005F2F024000"));
  Error e = expect_error([&] { s.get_object(piv::object::printed_information); });
  CHECK(e.kind() == ErrorKind::security_status);
  CHECK(std::string(e.what()).rfind("reading object 5FC109: ", 0) == 0);
}

TEST_CASE("ATTEST (F9) and slot metadata") {
  auto key = crypto::KeyPair::generate(KeyAlgorithm::eccp256);
  Bytes md = tlv::encode(piv::tag::md_algorithm, Bytes{0x11});
  tlv::append(md, piv::tag::md_policy, Bytes{0x02, 0x01});
  tlv::append(md, piv::tag::md_origin, Bytes{0x01});
  tlv::append(md, piv::tag::md_public_key, tlv::encode(piv::tag::ec_point, key.ec_point()));
  ScriptedConnection card({{kSelect, kSelectOk},
                           {"00F99A0000", "30020500 9000"},
                           {"00F7009A00", hex(md) + "9000"},
                           {"00F7009C00", "6A88"}});
  piv::PivSession s(card);
  CHECK(s.attest(0x9A) == from_hex("30020500"));
  auto info = s.slot_info(0x9A);
  REQUIRE(info.has_value());
  CHECK(info->algorithm == KeyAlgorithm::eccp256);
  CHECK(info->pin_policy == piv::PinPolicy::once);
  CHECK(info->touch_policy == piv::TouchPolicy::never);
  CHECK(info->generated_on_card);
  CHECK(info->public_key_spki == key.public_spki_der());
  CHECK_FALSE(s.slot_info(0x9C).has_value());  // empty slot
}

TEST_CASE("slot names and certificate objects (SP 800-73-4 Part 1 Table 3)") {
  CHECK(piv::slot_from_name("9a") == 0x9A);
  CHECK(piv::slot_from_name("Signature") == 0x9C);
  CHECK(piv::slot_from_name("key-management") == 0x9D);
  CHECK(piv::slot_from_name("95") == 0x95);
  CHECK_FALSE(piv::slot_from_name("96").has_value());
  CHECK_FALSE(piv::slot_from_name("9b").has_value());
  CHECK(piv::certificate_object_for_slot(0x9E) == piv::object::cert_card_auth);
  CHECK(piv::certificate_object_for_slot(0x82) == 0x5FC10Du);
  CHECK(piv::certificate_object_for_slot(0x95) == 0x5FC120u);
  CHECK_FALSE(piv::certificate_object_for_slot(0x9B).has_value());
  CHECK(std::string(piv::slot_name(0x9D)) == "key-management");
}

namespace {
// A card that runs mutual authentication (SP 800-73-4 Part 2 §3.2.4, Appendix A.1) with a fixed witness: it checks
// the host's decrypted witness (6982 when wrong) and proves the key by encrypting the host's challenge, or, when
// an impostor, encrypts it under another key.
class MutualAuthCard : public ScriptedConnection {
 public:
  MutualAuthCard(AdminAlgorithm a, ByteView key, ByteView witness, bool impostor = false)
      : ScriptedConnection(Script{}), a_(a), key_(key.begin(), key.end()), witness_(witness.begin(), witness.end()),
        impostor_(impostor) {}
  apdu::Response transmit(ByteView raw) override {
    const apdu::Command c = apdu::parse_command(raw);
    if (c.ins == apdu::ins::select) return apdu::parse_response(from_hex(kSelectOk));
    CHECK(c.ins == apdu::ins::general_authenticate);
    CHECK(c.p1 == crypto::info(a_).piv_id);
    CHECK(c.p2 == piv::keyref::management);
    const auto items = tlv::parse(tlv::expect(c.data, piv::tag::dynamic_auth));
    if (items.size() == 1) {  // 7C { 80 00 }: the witness, encrypted under the key
      CHECK(items[0].tag == piv::tag::witness);
      CHECK(items[0].value.empty());
      return ok(piv::tag::witness, crypto::encrypt_block(a_, key_, witness_));
    }
    REQUIRE(items.size() == 2);  // 7C { 80 witness, 81 challenge }
    CHECK(items[0].tag == piv::tag::witness);
    CHECK(items[1].tag == piv::tag::challenge);
    ++rounds;
    if (hex(items[0].value) != hex(witness_)) return {{}, apdu::sw::security_status};
    challenge.assign(items[1].value.begin(), items[1].value.end());
    const Bytes other(key_.size(), 0x42);
    return ok(piv::tag::response, crypto::encrypt_block(a_, impostor_ ? ByteView(other) : ByteView(key_), challenge));
  }
  int rounds = 0;
  Bytes challenge;  // the host's, as received

 private:
  static apdu::Response ok(std::uint32_t tag, ByteView value) {
    return {tlv::encode(piv::tag::dynamic_auth, tlv::encode(tag, value)), apdu::sw::ok};
  }
  AdminAlgorithm a_;
  Bytes key_, witness_;
  bool impostor_;
};
}  // namespace

TEST_CASE("mutual authentication: the decrypted witness and the challenge go out masked; the card must prove the key") {
  static_assert(std::is_same_v<decltype(crypto::decrypt_block(AdminAlgorithm::tdes, {}, {})), SecureBytes>);
  const Bytes key32 = from_hex("0102030405060708 1112131415161718 2122232425262728 3132333435363738");
  // "A7 A7 ..." as the trace would print it, had it not been masked.
  auto spaced = [](ByteView b) {
    std::string out;
    for (auto v : b) out += (out.empty() ? "" : " ") + hex(Bytes{v});
    return out;
  };
  for (auto a : {AdminAlgorithm::tdes, AdminAlgorithm::aes128, AdminAlgorithm::aes256}) {
    CAPTURE(crypto::info(a).name);
    const std::size_t block = crypto::info(a).block_length;
    const Bytes key(key32.begin(), key32.begin() + static_cast<std::ptrdiff_t>(crypto::info(a).key_length));
    const Bytes witness(block, 0xA7);
    SUBCASE("the right key") {
      std::vector<std::string> lines;
      MutualAuthCard card(a, key, witness);
      piv::PivSession s(card, {.hold_transaction = true, .select_on_open = true,
                               .trace = [&](const std::string& l) { lines.push_back(l); }});
      s.authenticate(AdminKey(key), a);
      CHECK(card.rounds == 1);
      REQUIRE(card.challenge.size() == block);
      REQUIRE(lines.size() == 6);  // SELECT, the witness asked for, witness + challenge sent
      const std::string lc = hex(Bytes{static_cast<std::uint8_t>(2 + 2 * (2 + block))});
      CHECK(lines[4].rfind("> 00 87 " + hex(Bytes{crypto::info(a).piv_id}) + " 9B " + lc + " ** **", 0) == 0);
      CHECK(lines[4].substr(lines[4].size() - 3) == " 00");  // Le in clear
      CHECK(lines[5].rfind("< ** **", 0) == 0);              // the card's proof masked
      for (const auto& l : lines) {
        CHECK(l.find(spaced(witness)) == std::string::npos);
        CHECK(l.find(spaced(card.challenge)) == std::string::npos);
      }
    }
    SUBCASE("a wrong key: the card refuses the witness") {
      MutualAuthCard card(a, key, witness);
      piv::PivSession s(card);
      Error e = expect_error([&] { s.authenticate(AdminKey(Bytes(key.size(), 0x55)), a); });
      CHECK(e.kind() == ErrorKind::auth_failed);
      CHECK(std::string(e.what()).find("wrong admin key") != std::string::npos);
      CHECK(e.status_word() == 0x6982);
      CHECK(card.rounds == 1);
    }
    SUBCASE("an impostor card that cannot encrypt the challenge is refused") {
      MutualAuthCard card(a, key, witness, true);
      piv::PivSession s(card);
      Error e = expect_error([&] { s.authenticate(AdminKey(key), a); });
      CHECK(e.kind() == ErrorKind::auth_failed);
      CHECK(std::string(e.what()).find("could not prove") != std::string::npos);
    }
  }
}

TEST_CASE("ECDH sends 7C{82 00, 85 point} with the curve's algorithm; the secret comes from 82, masked in the trace") {
  // SP 800-73-4 Part 2 §3.2.4 (key establishment) and SP 800-78-4 Table 6-2: P1 11 for P-256, 14 for P-384.
  for (auto a : {KeyAlgorithm::eccp256, KeyAlgorithm::eccp384}) {
    CAPTURE(crypto::name(a));
    auto card_key = crypto::KeyPair::generate(a);  // what the card holds in slot 9D
    auto ours = crypto::KeyPair::generate(a);      // the other side's ephemeral key
    const Bytes point = ours.ec_point();
    const SecureBytes expected = ours.ecdh(card_key.ec_point());
    const SecureBytes card_side = card_key.ecdh(point);
    const Bytes body = concat({from_hex("8200"), tlv::encode(piv::tag::exponentiation, point)});
    const Bytes command = tlv::encode(piv::tag::dynamic_auth, body);
    const std::string p1 = a == KeyAlgorithm::eccp256 ? "11" : "14";
    std::vector<std::string> lines;
    ScriptedConnection card(
        {{kSelect, kSelectOk},
         {"0087" + p1 + "9D" + hex(Bytes{std::uint8_t(command.size())}) + hex(command) + "00",
          hex(tlv::encode(piv::tag::dynamic_auth, tlv::encode(piv::tag::response, card_side))) + "9000"}});
    piv::PivSession s(card, {.hold_transaction = true, .select_on_open = true,
                             .trace = [&](const std::string& l) { lines.push_back(l); }});
    SecureBytes secret = s.ecdh(0x9D, point);
    CHECK(Bytes(secret.begin(), secret.end()) == Bytes(expected.begin(), expected.end()));
    CHECK(card.done());
    REQUIRE(lines.size() == 4);
    CHECK(lines[3].rfind("< ** **", 0) == 0);  // the reply, secret and all, is masked
  }
}

TEST_CASE("ECDH without the PIN: 6982 says the PIN must be verified; a bad point is refused before sending") {
  auto key = crypto::KeyPair::generate(KeyAlgorithm::eccp256);
  const Bytes point = key.ec_point();
  const Bytes command = tlv::encode(piv::tag::dynamic_auth, concat({from_hex("8200"), tlv::encode(piv::tag::exponentiation, point)}));
  ScriptedConnection card({{kSelect, kSelectOk}, {"0087119D 47" + hex(command) + "00", "6982"}});
  piv::PivSession s(card);
  Error e = expect_error([&] { s.ecdh(0x9D, point); });
  CHECK(e.kind() == ErrorKind::security_status);
  CHECK(std::string(e.what()).find("the PIN must be verified") != std::string::npos);
  CHECK(e.status_word() == 0x6982);
  CHECK(expect_error([&] { s.ecdh(0x9D, from_hex("0102")); }).kind() == ErrorKind::usage);
  CHECK(card.done());
}
