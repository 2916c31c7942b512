// PKCS#10 requests signed "on a card" (a KeyPair behind an ExternalSigner) and certificates from a file-based CA
// made here with OpenSSL; every result is checked with OpenSSL's own verifiers (RFC 2986, RFC 5280).
#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <string>
#include <utility>
#include <vector>

#include "cardctl/asym.hpp"
#include "cardctl/crypto.hpp"
#include "cardctl/error.hpp"
#include "cardctl/files.hpp"
#include "cardctl/x509.hpp"

using namespace cardctl;
using crypto::KeyAlgorithm;

namespace {

template <class T, void (*Free)(T*)>
struct Freer {
  void operator()(T* p) const noexcept { Free(p); }
};
using X509Ptr = std::unique_ptr<X509, Freer<X509, X509_free>>;
using ReqPtr = std::unique_ptr<X509_REQ, Freer<X509_REQ, X509_REQ_free>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, Freer<EVP_PKEY, EVP_PKEY_free>>;
using BioPtr = std::unique_ptr<BIO, Freer<BIO, BIO_free_all>>;

// The card: SHA-256 over the data, then the raw key operation the card does (RSA on a PKCS#1 v1.5 block, or
// ECDSA on the digest).
crypto::ExternalSigner card_signer(const crypto::KeyPair& card, int* calls = nullptr) {
  return [&card, calls](ByteView tbs) {
    if (calls != nullptr) ++*calls;
    Bytes digest = crypto::sha256(tbs);
    if (card.algorithm() == KeyAlgorithm::rsa2048) return card.rsa_raw_private(crypto::pkcs1_sha256_block(digest, 256));
    return card.ecdsa_sign_digest(digest);
  };
}

X509Ptr parse_certificate(const Bytes& der) {
  const unsigned char* p = der.data();
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  REQUIRE(cert);
  return cert;
}

ReqPtr parse_request(const Bytes& der) {
  const unsigned char* p = der.data();
  ReqPtr req(d2i_X509_REQ(nullptr, &p, static_cast<long>(der.size())));
  REQUIRE(req);
  return req;
}

Bytes request_der(X509_REQ* req) {
  unsigned char* buf = nullptr;
  int len = i2d_X509_REQ(req, &buf);
  REQUIRE(len > 0);
  Bytes out(buf, buf + len);
  OPENSSL_free(buf);
  return out;
}

std::string bio_string(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(len));
}

std::string rfc4514(const X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  return bio_string(bio.get());
}

std::string oid_text(const ASN1_OBJECT* obj) {
  char buf[128];
  int n = OBJ_obj2txt(buf, sizeof buf, obj, 1);
  return std::string(buf, static_cast<std::size_t>(n > 0 ? n : 0));
}

void add_ext(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_nconf_nid(nullptr, &ctx, nid, value);
  REQUIRE(ext != nullptr);
  REQUIRE(X509_add_ext(cert, ext, -1) == 1);
  X509_EXTENSION_free(ext);
}

std::string private_key_pem(EVP_PKEY* key, const EVP_CIPHER* cipher = nullptr, const std::string& pass = {},
                            bool traditional = false) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  auto* kstr = reinterpret_cast<unsigned char*>(const_cast<char*>(pass.data()));
  int klen = static_cast<int>(pass.size());
  int ok = traditional ? PEM_write_bio_PrivateKey_traditional(bio.get(), key, cipher, kstr, klen, nullptr, nullptr)
                       : PEM_write_bio_PrivateKey(bio.get(), key, cipher, kstr, klen, nullptr, nullptr);
  REQUIRE(ok == 1);
  return bio_string(bio.get());
}

std::string certificate_pem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  REQUIRE(PEM_write_bio_X509(bio.get(), cert) == 1);
  return bio_string(bio.get());
}

const char* const ca_subject = "CN=Test CA,O=Example Ltd";
const char* const ca_passphrase = "correct horse battery staple";

// A self-signed P-256 CA in a temporary directory: its certificate, its key unencrypted and encrypted (0600),
// the same key at 0644, and an unrelated key (0600).
struct TestCa {
  std::string dir, cert, key, key_pkcs8_aes, key_traditional_aes, key_world_readable, other_key;
  PkeyPtr key_object;
  X509Ptr cert_object;

  TestCa() {
    char pattern[] = "/tmp/cardctl-x509-XXXXXX";
    REQUIRE(mkdtemp(pattern) != nullptr);
    dir = pattern;
    key_object.reset(EVP_EC_gen("P-256"));
    REQUIRE(key_object);
    cert_object.reset(X509_new());
    X509* c = cert_object.get();
    REQUIRE(X509_set_version(c, X509_VERSION_3) == 1);
    REQUIRE(ASN1_INTEGER_set(X509_get_serialNumber(c), 1) == 1);
    X509_NAME* name = X509_get_subject_name(c);
    // Encoded order O, CN: RFC 4514 writes it "CN=Test CA,O=Example Ltd".
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>("Example Ltd"), -1,
                               -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>("Test CA"), -1, -1, 0);
    REQUIRE(X509_set_issuer_name(c, name) == 1);
    X509_gmtime_adj(X509_getm_notBefore(c), -3600);
    X509_gmtime_adj(X509_getm_notAfter(c), 10L * 365 * 86400);
    REQUIRE(X509_set_pubkey(c, key_object.get()) == 1);
    add_ext(c, c, NID_basic_constraints, "critical,CA:TRUE");
    add_ext(c, c, NID_key_usage, "critical,keyCertSign,cRLSign");
    add_ext(c, c, NID_subject_key_identifier, "hash");
    REQUIRE(X509_sign(c, key_object.get(), EVP_sha256()) > 0);

    cert = dir + "/ca.pem";
    key = dir + "/ca.key";
    key_pkcs8_aes = dir + "/ca-pkcs8-aes.key";
    key_traditional_aes = dir + "/ca-traditional-aes.key";
    key_world_readable = dir + "/ca-0644.key";
    other_key = dir + "/other.key";
    files::write_atomic(cert, to_bytes(certificate_pem(c)), 0644);
    files::write_atomic(key, to_bytes(private_key_pem(key_object.get())), 0600);
    files::write_atomic(key_pkcs8_aes, to_bytes(private_key_pem(key_object.get(), EVP_aes_256_cbc(), ca_passphrase)),
                        0600);
    files::write_atomic(key_traditional_aes,
                        to_bytes(private_key_pem(key_object.get(), EVP_aes_128_cbc(), ca_passphrase, true)), 0600);
    files::write_atomic(key_world_readable, to_bytes(private_key_pem(key_object.get())), 0644);
    PkeyPtr other(EVP_EC_gen("P-256"));
    REQUIRE(other);
    files::write_atomic(other_key, to_bytes(private_key_pem(other.get())), 0600);
  }
  ~TestCa() {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
  TestCa(const TestCa&) = delete;
  TestCa& operator=(const TestCa&) = delete;
};

crypto::CertificateProfile smartcard_profile() {
  crypto::CertificateProfile p;
  p.subject = "CN=Alice Example,O=Example Ltd,OU=Staff";
  p.days = 365;
  p.key_usage = {"digitalSignature", "nonRepudiation", "keyEncipherment"};
  p.extended_key_usage = {"clientAuth", "smartcardLogon", "emailProtection"};
  p.email = "alice@example.com";
  p.upn = "alice@corp.example.com";
  return p;
}

// A request whose signature is by `signer` but whose public key is `other`'s: OpenSSL re-encodes the request
// info after the key is swapped, keeping the old signature.
Bytes request_with_swapped_key(const crypto::KeyPair& signer, const crypto::KeyPair& other) {
  Bytes good = crypto::make_csr(signer.public_spki_der(), "CN=Mallory", card_signer(signer));
  ReqPtr req = parse_request(good);
  Bytes spki = other.public_spki_der();
  const unsigned char* p = spki.data();
  PkeyPtr other_key(d2i_PUBKEY(nullptr, &p, static_cast<long>(spki.size())));
  REQUIRE(other_key);
  REQUIRE(X509_REQ_set_pubkey(req.get(), other_key.get()) == 1);
  return request_der(req.get());
}

template <class F>
ErrorKind error_kind(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.kind();
  }
  FAIL("no Error thrown");
  return ErrorKind::internal;
}

template <class F>
Error caught(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e;
  }
  FAIL("no Error thrown");
  return Error(ErrorKind::internal, "");
}

// 2026-11-22T10:43:00Z
const auto fixed_now = std::chrono::system_clock::from_time_t(1795344180);

}  // namespace

TEST_CASE("make_csr: RSA-2048, P-256 and P-384 requests signed by the card verify and carry its key") {
  for (auto a : {KeyAlgorithm::eccp256, KeyAlgorithm::eccp384, KeyAlgorithm::rsa2048}) {
    CAPTURE(crypto::name(a));
    auto card = crypto::KeyPair::generate(a);
    int calls = 0;
    const std::string subject = "CN=Alice Example,O=Example Ltd,OU=Staff";
    Bytes csr = crypto::make_csr(card.public_spki_der(), subject, card_signer(card, &calls));
    CHECK(calls == 1);
    ReqPtr req = parse_request(csr);
    CHECK(X509_REQ_verify(req.get(), X509_REQ_get0_pubkey(req.get())) == 1);
    CHECK(X509_REQ_get_signature_nid(req.get()) ==
          (a == KeyAlgorithm::rsa2048 ? NID_sha256WithRSAEncryption : NID_ecdsa_with_SHA256));
    CHECK(X509_REQ_get_version(req.get()) == X509_REQ_VERSION_1);
    CHECK(rfc4514(X509_REQ_get_subject_name(req.get())) == subject);
    // RFC 4514 order: the last element written is the first RDN encoded.
    X509_NAME_ENTRY* first = X509_NAME_get_entry(X509_REQ_get_subject_name(req.get()), 0);
    CHECK(OBJ_obj2nid(X509_NAME_ENTRY_get_object(first)) == NID_organizationalUnitName);
    CHECK(crypto::csr_public_key(csr) == card.public_spki_der());
  }
}

TEST_CASE("make_csr: a card that signs with another key is caught") {
  auto card = crypto::KeyPair::generate(KeyAlgorithm::eccp256);
  auto other = crypto::KeyPair::generate(KeyAlgorithm::eccp256);
  auto e = caught([&] { crypto::make_csr(card.public_spki_der(), "CN=Alice", card_signer(other)); });
  CHECK(e.kind() == ErrorKind::crypto);
  CHECK_FALSE(e.hint().empty());
  CHECK(error_kind([&] { crypto::make_csr(card.public_spki_der(), "CN=Alice", [](ByteView) { return Bytes{}; }); }) ==
        ErrorKind::crypto);
  CHECK(error_kind([&] { crypto::make_csr(to_bytes("not a key"), "CN=Alice", card_signer(card)); }) ==
        ErrorKind::usage);
}

TEST_CASE("subjects: escapes, UTF-8, and malformed strings refused with Error(usage) before the card signs") {
  auto card = crypto::KeyPair::generate(KeyAlgorithm::eccp256);
  for (const char* subject : {"CN=Doe\\, John,O=Example Ltd", "CN=Zoë Çelik,O=Exämple GmbH,C=DE",
                              "CN=A \\+ B,DC=example,DC=com", "UID=alice,2.5.4.3=Alice"}) {
    CAPTURE(subject);
    Bytes csr = crypto::make_csr(card.public_spki_der(), subject, card_signer(card));
    ReqPtr req = parse_request(csr);
    std::string expected = subject;
    if (expected == "UID=alice,2.5.4.3=Alice") expected = "UID=alice,CN=Alice";
    CHECK(rfc4514(X509_REQ_get_subject_name(req.get())) == expected);
  }
  // Spaces around parts are dropped; an escaped one is kept.
  crypto::check_subject(" CN = Alice ,O=Example Ltd");
  for (const char* bad : {"CN", "XX=a", "CN=", "", "CN=a,,O=b", "CN=a,", "=a", "CN=a+UID=b", "C=DEU",
                          "CN=trailing\\", "sha256=x", "1.2.=x"}) {
    CAPTURE(bad);
    int calls = 0;
    auto e = caught([&] { crypto::make_csr(card.public_spki_der(), bad, card_signer(card, &calls)); });
    CHECK(e.kind() == ErrorKind::usage);
    CHECK_FALSE(e.hint().empty());
    CHECK(calls == 0);
    CHECK(error_kind([&] { crypto::check_subject(bad); }) == ErrorKind::usage);
  }
  CHECK(std::string(caught([] { crypto::check_subject("CN=Alice,XX=a"); }).what()).find("\"XX=a\"") !=
        std::string::npos);
  CHECK(std::string(caught([] { crypto::check_subject("CN"); }).what()).find("\"CN\"") != std::string::npos);
}

TEST_CASE("CA: issues a certificate with the profile, verifiable against the CA") {
  TestCa files_;
  auto ca = crypto::CertificateAuthority::load(files_.cert, files_.key, nullptr);
  X509Ptr ca_cert = parse_certificate(ca.certificate_der());
  auto profile = smartcard_profile();

  for (auto a : {KeyAlgorithm::eccp256, KeyAlgorithm::eccp384, KeyAlgorithm::rsa2048}) {
    CAPTURE(crypto::name(a));
    auto card = crypto::KeyPair::generate(a);
    Bytes csr = crypto::make_csr(card.public_spki_der(), "CN=ignored", card_signer(card));
    Bytes der = ca.issue(csr, profile, fixed_now);
    X509Ptr cert = parse_certificate(der);

    CHECK(X509_verify(cert.get(), X509_get0_pubkey(ca_cert.get())) == 1);
    CHECK(X509_check_issued(ca_cert.get(), cert.get()) == X509_V_OK);
    CHECK(X509_get_version(cert.get()) == X509_VERSION_3);
    CHECK(X509_get_signature_nid(cert.get()) == NID_ecdsa_with_SHA256);
    CHECK(rfc4514(X509_get_subject_name(cert.get())) == profile.subject);
    CHECK(rfc4514(X509_get_issuer_name(cert.get())) == ca_subject);
    CHECK(X509_NAME_cmp(X509_get_issuer_name(cert.get()), X509_get_subject_name(ca_cert.get())) == 0);

    // Validity: notBefore = now - 5 minutes, notAfter = now + days.
    const std::time_t t = std::chrono::system_clock::to_time_t(fixed_now);
    CHECK(ASN1_TIME_cmp_time_t(X509_get0_notBefore(cert.get()), t - 300) == 0);
    CHECK(ASN1_TIME_cmp_time_t(X509_get0_notAfter(cert.get()), t + 365L * 86400) == 0);
    int days = 0, seconds = 0;
    REQUIRE(ASN1_TIME_diff(&days, &seconds, X509_get0_notBefore(cert.get()), X509_get0_notAfter(cert.get())) == 1);
    CHECK(days == 365);
    CHECK(seconds == 300);

    // Serial: positive, 16 bytes.
    const ASN1_INTEGER* serial = X509_get0_serialNumber(cert.get());
    CHECK(ASN1_STRING_type(serial) == V_ASN1_INTEGER);  // not V_ASN1_NEG_INTEGER
    CHECK(ASN1_STRING_length(serial) == 16);

    // basicConstraints CA:FALSE, critical.
    int critical = -1;
    auto* bc = static_cast<BASIC_CONSTRAINTS*>(X509_get_ext_d2i(cert.get(), NID_basic_constraints, &critical, nullptr));
    REQUIRE(bc != nullptr);
    CHECK(bc->ca == 0);
    CHECK(critical == 1);
    BASIC_CONSTRAINTS_free(bc);
    CHECK(X509_check_ca(cert.get()) == 0);

    // keyUsage, critical.
    CHECK(X509_get_key_usage(cert.get()) ==
          static_cast<std::uint32_t>(KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION | KU_KEY_ENCIPHERMENT));
    CHECK(X509_EXTENSION_get_critical(X509_get_ext(cert.get(), X509_get_ext_by_NID(cert.get(), NID_key_usage, -1))) ==
          1);

    // extendedKeyUsage: clientAuth, smartcardLogon, emailProtection; not critical.
    auto* eku =
        static_cast<EXTENDED_KEY_USAGE*>(X509_get_ext_d2i(cert.get(), NID_ext_key_usage, &critical, nullptr));
    REQUIRE(eku != nullptr);
    CHECK(critical == 0);
    std::vector<std::string> ekus;
    for (int i = 0; i < sk_ASN1_OBJECT_num(eku); ++i) ekus.push_back(oid_text(sk_ASN1_OBJECT_value(eku, i)));
    EXTENDED_KEY_USAGE_free(eku);
    CHECK(ekus == std::vector<std::string>{"1.3.6.1.5.5.7.3.2", "1.3.6.1.4.1.311.20.2.2", "1.3.6.1.5.5.7.3.4"});
    CHECK((X509_get_extended_key_usage(cert.get()) & XKU_SSL_CLIENT) != 0);

    // subjectAltName: rfc822Name and otherName msUPN (UTF8String).
    auto* san = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert.get(), NID_subject_alt_name, &critical, nullptr));
    REQUIRE(san != nullptr);
    CHECK(critical == 0);
    std::string email, upn, upn_oid;
    int upn_type = -1;
    for (int i = 0; i < sk_GENERAL_NAME_num(san); ++i) {
      const GENERAL_NAME* g = sk_GENERAL_NAME_value(san, i);
      if (g->type == GEN_EMAIL) {
        email.assign(reinterpret_cast<const char*>(ASN1_STRING_get0_data(g->d.rfc822Name)),
                     static_cast<std::size_t>(ASN1_STRING_length(g->d.rfc822Name)));
      } else if (g->type == GEN_OTHERNAME) {
        upn_oid = oid_text(g->d.otherName->type_id);
        upn_type = g->d.otherName->value->type;
        const ASN1_STRING* s = g->d.otherName->value->value.utf8string;
        upn.assign(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)), static_cast<std::size_t>(ASN1_STRING_length(s)));
      }
    }
    CHECK(sk_GENERAL_NAME_num(san) == 2);
    GENERAL_NAMES_free(san);
    CHECK(email == profile.email);
    CHECK(upn_oid == "1.3.6.1.4.1.311.20.2.3");
    CHECK(upn_type == V_ASN1_UTF8STRING);
    CHECK(upn == profile.upn);

    // Key identifiers: SKI of the subject key; AKI = the CA's SKI.
    REQUIRE(X509_get0_subject_key_id(cert.get()) != nullptr);
    REQUIRE(X509_get0_authority_key_id(cert.get()) != nullptr);
    CHECK(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(cert.get()), X509_get0_subject_key_id(ca_cert.get())) == 0);

    auto info = crypto::certificate_info(der);
    CHECK(info.public_key_spki == card.public_spki_der());
  }
}

TEST_CASE("CA: the issued certificate chains to the CA today, and two serials differ") {
  TestCa files_;
  auto ca = crypto::CertificateAuthority::load(files_.cert, files_.key, nullptr);
  auto card = crypto::KeyPair::generate(KeyAlgorithm::eccp256);
  Bytes csr = crypto::make_csr(card.public_spki_der(), "CN=Alice", card_signer(card));
  auto profile = smartcard_profile();
  Bytes one = ca.issue(csr, profile);
  Bytes two = ca.issue(csr, profile);
  CHECK(crypto::certificate_info(one).serial_hex != crypto::certificate_info(two).serial_hex);

  X509Ptr ca_cert = parse_certificate(ca.certificate_der());
  X509Ptr cert = parse_certificate(one);
  std::unique_ptr<X509_STORE, Freer<X509_STORE, X509_STORE_free>> store(X509_STORE_new());
  std::unique_ptr<X509_STORE_CTX, Freer<X509_STORE_CTX, X509_STORE_CTX_free>> ctx(X509_STORE_CTX_new());
  REQUIRE(X509_STORE_add_cert(store.get(), ca_cert.get()) == 1);
  REQUIRE(X509_STORE_CTX_init(ctx.get(), store.get(), cert.get(), nullptr) == 1);
  int verified = X509_verify_cert(ctx.get());
  INFO("verification: ", X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get())));
  CHECK(verified == 1);
}

TEST_CASE("CA: a request not signed by its key is refused by issue() and csr_public_key()") {
  TestCa files_;
  auto ca = crypto::CertificateAuthority::load(files_.cert, files_.key, nullptr);
  auto signer = crypto::KeyPair::generate(KeyAlgorithm::eccp256);
  auto other = crypto::KeyPair::generate(KeyAlgorithm::eccp256);
  Bytes forged = request_with_swapped_key(signer, other);
  ReqPtr req = parse_request(forged);
  CHECK(X509_REQ_verify(req.get(), X509_REQ_get0_pubkey(req.get())) != 1);

  auto e = caught([&] { ca.issue(forged, smartcard_profile()); });
  CHECK(e.kind() == ErrorKind::crypto);
  CHECK(std::string(e.what()) == "the certificate request is not signed by its key");
  CHECK(error_kind([&] { crypto::csr_public_key(forged); }) == ErrorKind::crypto);
  CHECK(error_kind([&] { crypto::csr_public_key(to_bytes("junk")); }) == ErrorKind::io);
  CHECK(error_kind([&] { ca.issue(to_bytes("junk"), smartcard_profile()); }) == ErrorKind::io);
}

TEST_CASE("CA: a bad profile is refused with Error(usage)") {
  TestCa files_;
  auto ca = crypto::CertificateAuthority::load(files_.cert, files_.key, nullptr);
  auto card = crypto::KeyPair::generate(KeyAlgorithm::eccp256);
  Bytes csr = crypto::make_csr(card.public_spki_der(), "CN=Alice", card_signer(card));
  auto refused = [&](auto change) {
    auto p = smartcard_profile();
    change(p);
    return error_kind([&] { ca.issue(csr, p); }) == ErrorKind::usage;
  };
  CHECK(refused([](crypto::CertificateProfile& p) { p.subject = "CN="; }));
  CHECK(refused([](crypto::CertificateProfile& p) { p.subject = ""; }));
  CHECK(refused([](crypto::CertificateProfile& p) { p.days = 0; }));
  CHECK(refused([](crypto::CertificateProfile& p) { p.key_usage = {"digitalSignatur"}; }));
  CHECK(refused([](crypto::CertificateProfile& p) { p.key_usage = {"keyCertSign"}; }));
  CHECK(refused([](crypto::CertificateProfile& p) { p.extended_key_usage = {"bogus"}; }));
  CHECK(refused([](crypto::CertificateProfile& p) { p.email = "not an email"; }));
  CHECK(refused([](crypto::CertificateProfile& p) { p.upn = std::string("\xff\xfe", 2); }));

  // Dotted OIDs, names in any case, no optional extensions at all.
  auto p = smartcard_profile();
  p.extended_key_usage = {"1.3.6.1.5.5.7.3.2", "SMARTCARDLOGON", "1.2.3.4"};
  p.key_usage = {};
  p.email.clear();
  p.upn.clear();
  X509Ptr cert = parse_certificate(ca.issue(csr, p));
  CHECK(X509_get_ext_by_NID(cert.get(), NID_key_usage, -1) < 0);
  CHECK(X509_get_ext_by_NID(cert.get(), NID_subject_alt_name, -1) < 0);
  auto* eku = static_cast<EXTENDED_KEY_USAGE*>(X509_get_ext_d2i(cert.get(), NID_ext_key_usage, nullptr, nullptr));
  REQUIRE(eku != nullptr);
  CHECK(sk_ASN1_OBJECT_num(eku) == 3);
  CHECK(oid_text(sk_ASN1_OBJECT_value(eku, 2)) == "1.2.3.4");
  EXTENDED_KEY_USAGE_free(eku);
}

TEST_CASE("CA load: key file mode, passphrases, mismatched key, not a CA") {
  TestCa files_;
  SecureString right(ca_passphrase);
  SecureString wrong("Tr0ub4dor&3");

  auto e = caught([&] { crypto::CertificateAuthority::load(files_.cert, files_.key_world_readable, nullptr); });
  CHECK(e.kind() == ErrorKind::io);
  CHECK(e.hint().find("chmod 600 " + files_.key_world_readable) != std::string::npos);

  for (const auto& encrypted : {files_.key_pkcs8_aes, files_.key_traditional_aes}) {
    CAPTURE(encrypted);
    auto ca = crypto::CertificateAuthority::load(files_.cert, encrypted, &right);
    CHECK_FALSE(ca.certificate_der().empty());
    CHECK(error_kind([&] { crypto::CertificateAuthority::load(files_.cert, encrypted, &wrong); }) ==
          ErrorKind::auth_failed);
    auto none = caught([&] { crypto::CertificateAuthority::load(files_.cert, encrypted, nullptr); });
    CHECK(none.kind() == ErrorKind::usage);
    CHECK(std::string(none.what()).find("passphrase") != std::string::npos);
  }
  // An unencrypted key loads whatever passphrase is given.
  crypto::CertificateAuthority::load(files_.cert, files_.key, &wrong);

  auto mismatch = caught([&] { crypto::CertificateAuthority::load(files_.cert, files_.other_key, nullptr); });
  CHECK(std::string(mismatch.what()).find(files_.cert) != std::string::npos);
  CHECK(std::string(mismatch.what()).find(files_.other_key) != std::string::npos);

  CHECK(error_kind([&] { crypto::CertificateAuthority::load(files_.dir + "/missing.pem", files_.key, nullptr); }) ==
        ErrorKind::not_found);
  CHECK(error_kind([&] { crypto::CertificateAuthority::load(files_.key, files_.key, nullptr); }) == ErrorKind::io);

  // An end-entity certificate with its own key is not a CA.
  auto ca = crypto::CertificateAuthority::load(files_.cert, files_.key, nullptr);
  auto card = crypto::KeyPair::generate(KeyAlgorithm::eccp256);
  X509Ptr leaf =
      parse_certificate(ca.issue(crypto::make_csr(card.public_spki_der(), "CN=Leaf", card_signer(card)), smartcard_profile()));
  SecureBytes pkcs8 = card.private_der();
  const unsigned char* p = pkcs8.data();
  PkeyPtr leaf_key(d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(pkcs8.size())));
  REQUIRE(leaf_key);
  files::write_atomic(files_.dir + "/leaf.pem", to_bytes(certificate_pem(leaf.get())), 0644);
  files::write_atomic(files_.dir + "/leaf.key", to_bytes(private_key_pem(leaf_key.get())), 0600);
  CHECK(error_kind([&] { crypto::CertificateAuthority::load(files_.dir + "/leaf.pem", files_.dir + "/leaf.key", nullptr); }) ==
        ErrorKind::usage);

  // Moving keeps the objects; the moved-from one is empty but destructible.
  auto moved = std::move(ca);
  CHECK_FALSE(moved.certificate_der().empty());
}

TEST_CASE("certificate_info, pem_to_der and der_to_pem round trips") {
  TestCa files_;
  auto ca = crypto::CertificateAuthority::load(files_.cert, files_.key, nullptr);
  auto card = crypto::KeyPair::generate(KeyAlgorithm::rsa2048);
  Bytes csr = crypto::make_csr(card.public_spki_der(), "CN=Alice", card_signer(card));
  auto profile = smartcard_profile();
  profile.subject = "CN=Zoë Doe\\, Jr.,O=Example Ltd";
  Bytes der = ca.issue(csr, profile, fixed_now);

  auto info = crypto::certificate_info(der);
  CHECK(info.subject == profile.subject);
  CHECK(info.issuer == ca_subject);
  CHECK(info.not_before == "2026-11-22T10:38:00Z");
  CHECK(info.not_after == "2027-11-22T10:43:00Z");
  CHECK(info.public_key_spki == card.public_spki_der());
  CHECK(info.serial_hex.size() == 32);
  X509Ptr cert = parse_certificate(der);
  std::unique_ptr<BIGNUM, Freer<BIGNUM, BN_free>> bn(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert.get()), nullptr));
  char* hex = BN_bn2hex(bn.get());
  std::string upper = hex;
  OPENSSL_free(hex);
  CHECK(from_hex(info.serial_hex) == from_hex(upper));
  CHECK(info.serial_hex == to_hex(from_hex(info.serial_hex)));  // lower-case

  auto ca_info = crypto::certificate_info(ca.certificate_der());
  CHECK(ca_info.subject == ca_subject);
  CHECK(ca_info.serial_hex == "01");

  std::string pem = crypto::der_to_pem(der, "CERTIFICATE");
  CHECK(pem.rfind("-----BEGIN CERTIFICATE-----\n", 0) == 0);
  CHECK(crypto::pem_to_der(pem) == der);
  CHECK(crypto::pem_to_der("subject=CN=Alice\n" + pem + "trailing text\n") == der);
  std::string csr_pem = crypto::der_to_pem(csr, "CERTIFICATE REQUEST");
  CHECK(csr_pem.rfind("-----BEGIN CERTIFICATE REQUEST-----\n", 0) == 0);
  CHECK(crypto::pem_to_der(csr_pem) == csr);
  Bytes ca_pem = files::read(files_.cert);
  CHECK(crypto::pem_to_der(std::string(ca_pem.begin(), ca_pem.end())) == ca.certificate_der());

  CHECK(error_kind([&] { crypto::pem_to_der("no PEM here"); }) == ErrorKind::usage);
  SecureBytes key_file = files::read_secret(files_.key);
  std::string key_pem(key_file.begin(), key_file.end());
  CHECK(error_kind([&] { crypto::pem_to_der(key_pem); }) == ErrorKind::usage);
  CHECK(error_kind([&] { crypto::der_to_pem(der, "PRIVATE KEY"); }) == ErrorKind::usage);
  CHECK(error_kind([&] { crypto::certificate_info(csr); }) == ErrorKind::io);
  CHECK(error_kind([&] { crypto::certificate_info(to_bytes("junk")); }) == ErrorKind::io);
  Bytes trailing = der;
  trailing.push_back(0);
  CHECK(error_kind([&] { crypto::certificate_info(trailing); }) == ErrorKind::io);
  CHECK(std::string(caught([&] { crypto::certificate_info(to_bytes("junk")); }).what()) == "not an X.509 certificate");
}

TEST_CASE("pkcs1_sha256_block: EMSA-PKCS1-v1_5 layout") {
  Bytes digest = crypto::sha256(to_bytes("abc"));
  Bytes block = crypto::pkcs1_sha256_block(digest, 256);
  REQUIRE(block.size() == 256);
  CHECK(block[0] == 0x00);
  CHECK(block[1] == 0x01);
  CHECK(block[256 - 51 - 1] == 0x00);
  CHECK(block[256 - 51 - 2] == 0xFF);
  CHECK(Bytes(block.end() - 32, block.end()) == digest);
  CHECK(error_kind([&] { crypto::pkcs1_sha256_block(Bytes(20), 256); }) == ErrorKind::usage);
  CHECK(error_kind([&] { crypto::pkcs1_sha256_block(digest, 60); }) == ErrorKind::usage);
}
