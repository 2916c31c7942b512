// ATTEST (INS F9) on the reference card, as a YubiKey answers it (Yubico, "PIV attestation" and "PIV Attestation
// OID Arc"; docs/protocol.md#attest): a certificate for the slot's own public key, signed by the attestation key
// whose certificate is object 5FFF01, carrying the firmware version, serial, policies and form factor; 6A80 for
// an empty slot and for an imported key.
#include <doctest/doctest.h>

#include <cstdio>
#include <memory>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <string>
#include <unistd.h>

#include "cardctl/asym.hpp"
#include "cardctl/crypto.hpp"
#include "cardctl/files.hpp"
#include "cardctl/sim_card.hpp"
#include "cardctl/tlv.hpp"
#include "cardctl/x509.hpp"

using namespace cardctl;

namespace {
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;

std::string send(sim::ReferenceCard& card, const std::string& hex) {
  return to_hex_upper(card.process(from_hex(hex)));
}

// The whole answer: data fetched with GET RESPONSE while the card says 61xx, and the last status word.
std::pair<Bytes, std::string> transmit(sim::ReferenceCard& card, const std::string& hex) {
  Bytes data;
  Bytes reply = card.process(from_hex(hex));
  while (true) {
    REQUIRE(reply.size() >= 2);
    data.insert(data.end(), reply.begin(), reply.end() - 2);
    std::string sw = to_hex_upper(ByteView(reply).last(2));
    if (sw.substr(0, 2) != "61") return {data, sw};
    reply = card.process(from_hex("00C0000000"));
  }
}

void authenticate_admin(sim::ReferenceCard& card) {
  card.set_random([](std::span<std::uint8_t> out) { std::fill(out.begin(), out.end(), 0x11); });
  REQUIRE(send(card, "0087039B047C028100") == "7C0A81081111111111111111" "9000");
  // The factory management key, 01..08 three times (TDES).
  Bytes response = crypto::encrypt_block(crypto::AdminAlgorithm::tdes,
                                         from_hex("010203040506070801020304050607080102030405060708"), Bytes(8, 0x11));
  REQUIRE(send(card, "0087039B0C7C0A8208" + to_hex_upper(response)) == "9000");
  card.set_random(crypto::system_random());
}

// GENERATE in `slot` (P-256 or RSA-2048); returns the public key as SubjectPublicKeyInfo.
Bytes generate(sim::ReferenceCard& card, const char* slot, crypto::KeyAlgorithm algorithm) {
  std::string alg = to_hex_upper(Bytes{static_cast<std::uint8_t>(algorithm)});
  auto [data, sw] = transmit(card, std::string("004700") + slot + "05AC038001" + alg);
  REQUIRE(sw == "9000");
  auto inner = tlv::find(data, 0x7F49);
  REQUIRE(inner);
  if (algorithm == crypto::KeyAlgorithm::rsa2048)
    return crypto::spki_from_rsa(*tlv::find(*inner, 0x81), *tlv::find(*inner, 0x82));
  return crypto::spki_from_ec_point(algorithm, *tlv::find(*inner, 0x86));
}

// The attestation certificate from GET DATA 5FFF01 (53 { 70 cert, 71, FE }).
Bytes attestation_certificate(sim::ReferenceCard& card) {
  auto [data, sw] = transmit(card, "00CB3FFF055C035FFF0100");
  REQUIRE(sw == "9000");
  auto object = tlv::find(data, 0x53);
  REQUIRE(object);
  auto cert = tlv::find(*object, 0x70);
  REQUIRE(cert);
  return Bytes(cert->begin(), cert->end());
}

X509Ptr parse(const Bytes& der) {
  const unsigned char* p = der.data();
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  REQUIRE(cert);
  return cert;
}

// The extnValue of the extension `oid`, or nothing when the certificate has none.
std::optional<std::string> extension(const X509Ptr& cert, const char* oid) {
  ASN1_OBJECT* obj = OBJ_txt2obj(oid, 1);
  int at = X509_get_ext_by_OBJ(cert.get(), obj, -1);
  ASN1_OBJECT_free(obj);
  if (at < 0) return std::nullopt;
  X509_EXTENSION* ext = X509_get_ext(cert.get(), at);
  CHECK(X509_EXTENSION_get_critical(ext) == 0);
  const ASN1_OCTET_STRING* value = X509_EXTENSION_get_data(ext);
  return to_hex_upper(ByteView(ASN1_STRING_get0_data(value), static_cast<std::size_t>(ASN1_STRING_length(value))));
}

struct TempDir {
  std::string path;
  TempDir() {
    char dir[] = "/tmp/cardctl-attest-XXXXXX";
    REQUIRE(mkdtemp(dir) != nullptr);
    path = dir;
  }
  ~TempDir() {
    std::remove((path + "/card").c_str());
    rmdir(path.c_str());
  }
};

std::string read_text(const std::string& path) {
  Bytes b = files::read(path);
  return std::string(b.begin(), b.end());
}
void write_text(const std::string& path, const std::string& text) { files::write_atomic(path, view(text), 0600); }

// Removes the TOML table `[header]` and its lines up to the next table.
std::string without_table(std::string text, const std::string& header) {
  std::size_t at = text.find("\n[" + header + "]\n");
  REQUIRE(at != std::string::npos);
  std::size_t end = text.find("\n[", at + 1);
  text.erase(at, end == std::string::npos ? std::string::npos : end - at);
  return text;
}

// Removes the line that starts with `start`.
std::string without_line(std::string text, const std::string& start) {
  std::size_t at = text.find("\n" + start);
  REQUIRE(at != std::string::npos);
  text.erase(at, text.find('\n', at + 1) - at);
  return text;
}
}  // namespace

TEST_CASE("ATTEST: a certificate for the slot's own key, signed by the key of the 5FFF01 certificate") {
  auto card = sim::ReferenceCard::factory({.serial = 12345678});
  authenticate_admin(card);
  Bytes spki = generate(card, "9A", crypto::KeyAlgorithm::eccp256);
  card.reset();  // no PIN and no management key needed
  send(card, "00A4040005A000000308");

  auto [der, sw] = transmit(card, "00F99A0000");
  REQUIRE(sw == "9000");
  Bytes issuer_der = attestation_certificate(card);
  auto info = crypto::certificate_info(der);
  auto issuer_info = crypto::certificate_info(issuer_der);
  CHECK(info.public_key_spki == spki);
  CHECK(info.subject == "CN=YubiKey PIV Attestation 9a");
  CHECK(info.issuer == issuer_info.subject);
  CHECK(issuer_info.issuer == issuer_info.subject);  // the card's own, self-signed
  CHECK(info.not_before == issuer_info.not_before);   // dates copied from the attestation certificate
  CHECK(info.not_after == issuer_info.not_after);
  CHECK(info.serial_hex.size() == 32);                // a random 16-byte serial

  X509Ptr cert = parse(der), issuer = parse(issuer_der);
  CHECK(X509_verify(cert.get(), X509_get0_pubkey(issuer.get())) == 1);
  CHECK(X509_verify(cert.get(), X509_get0_pubkey(cert.get())) != 1);  // not signed by the attested key
  CHECK(X509_check_ca(issuer.get()) != 0);
  CHECK(X509_verify(issuer.get(), X509_get0_pubkey(issuer.get())) == 1);

  CHECK(extension(cert, "1.3.6.1.4.1.41482.3.3") == "050403");          // firmware 5.4.3
  CHECK(extension(cert, "1.3.6.1.4.1.41482.3.7") == "020400BC614E");    // INTEGER 12345678
  CHECK(extension(cert, "1.3.6.1.4.1.41482.3.8") == "0201");            // 9A: PIN once, touch never
  CHECK(extension(cert, "1.3.6.1.4.1.41482.3.9") == "00");              // form factor unknown

  // A second attestation has a new serial and the same issuer.
  auto again = crypto::certificate_info(transmit(card, "00F99A0000").first);
  CHECK(again.serial_hex != info.serial_hex);
  CHECK(again.issuer == info.issuer);
}

TEST_CASE("ATTEST: RSA-2048 in 9C with its policies; a card without serial leaves the serial out") {
  auto card = sim::ReferenceCard::factory({.version_major = 5, .version_minor = 7, .version_patch = 1});
  authenticate_admin(card);
  Bytes spki = generate(card, "9C", crypto::KeyAlgorithm::rsa2048);
  auto [der, sw] = transmit(card, "00F99C0000");
  REQUIRE(sw == "9000");
  CHECK(crypto::certificate_info(der).public_key_spki == spki);
  X509Ptr cert = parse(der);
  CHECK(X509_verify(cert.get(), X509_get0_pubkey(parse(attestation_certificate(card)).get())) == 1);
  CHECK(extension(cert, "1.3.6.1.4.1.41482.3.3") == "050701");
  CHECK_FALSE(extension(cert, "1.3.6.1.4.1.41482.3.7"));
  CHECK(extension(cert, "1.3.6.1.4.1.41482.3.8") == "0301");  // 9C: PIN always
}

TEST_CASE("ATTEST: 6A80 for an empty slot and for an imported key, 6A86 for what is not a key slot") {
  TempDir dir;
  const std::string path = dir.path + "/card";
  {
    auto card = sim::ReferenceCard::factory({.serial = 4711});
    CHECK(send(card, "00F99A0000") == "6A80");  // empty
    CHECK(send(card, "00F99D0000") == "6A80");
    CHECK(send(card, "00F9950000") == "6A80");  // an empty retired slot
    CHECK(send(card, "00F99B0000") == "6A86");  // the management key
    CHECK(send(card, "00F9F90000") == "6A86");  // the attestation key itself
    CHECK(send(card, "00F9800000") == "6A86");  // the PIN
    CHECK(send(card, "00F99A0100") == "6A86");  // P2 must be 00
    authenticate_admin(card);
    generate(card, "9A", crypto::KeyAlgorithm::eccp256);
    CHECK(transmit(card, "00F99A0000").second == "9000");
    card.save(path);
  }
  // The same key, recorded as imported (GET METADATA origin 02): the card does not vouch for it.
  std::string text = read_text(path);
  std::size_t slot = text.find("[keys.9a]");
  REQUIRE(slot != std::string::npos);
  std::size_t origin = text.find("origin = 1", slot);
  REQUIRE(origin != std::string::npos);
  text.replace(origin, 10, "origin = 2");
  write_text(path, text);
  auto card = sim::ReferenceCard::load(path);
  // GET METADATA: P-256, PIN once, touch never, origin 02 (imported)
  CHECK(send(card, "00F7009A").substr(0, 20) == "01011102020201030102");
  CHECK(send(card, "00F99A0000") == "6A80");
}

TEST_CASE("the attestation key is the card's: it is saved, survives RESET, and an older file gets one") {
  TempDir dir;
  const std::string path = dir.path + "/card";
  auto card = sim::ReferenceCard::factory({.serial = 4711});
  Bytes f9 = attestation_certificate(card);
  card.save(path);
  auto loaded = sim::ReferenceCard::load(path);
  CHECK(attestation_certificate(loaded) == f9);

  // RESET (PIN and PUK blocked first) clears keys and objects but not the attestation key and certificate.
  for (int i = 0; i < 3; ++i) send(loaded, "0020008008FFFFFFFFFFFFFFFF");
  for (int i = 0; i < 3; ++i) send(loaded, "002C008010FFFFFFFFFFFFFFFF3132333435363738");
  REQUIRE(send(loaded, "00FB000000") == "9000");
  CHECK(attestation_certificate(loaded) == f9);

  // A state file from before ATTEST (no F9 key, no 5FFF01) loads, gets an attestation key, and keeps it.
  std::string old = without_line(without_table(read_text(path), "keys.f9"), "5fff01 = ");
  REQUIRE(old.find("[keys") == std::string::npos);
  REQUIRE(old.find("5fff01") == std::string::npos);
  write_text(path, old);
  auto upgraded = sim::ReferenceCard::load(path);
  CHECK(send(upgraded, "00F99A0000") == "6A80");  // nothing to attest yet, but the card answers
  Bytes fresh = attestation_certificate(upgraded);
  CHECK(fresh != f9);
  upgraded.save(path);
  auto reloaded = sim::ReferenceCard::load(path);
  CHECK(attestation_certificate(reloaded) == fresh);
}
