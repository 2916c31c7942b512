// CMS EnvelopedData (RFC 5652) to certificates made here with OpenSSL (RSA-2048, EC P-256 and P-384), decrypted
// with OpenSSL's own CMS_decrypt and the private key; recipients that cannot or should not receive are refused.
#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <openssl/bio.h>
#include <openssl/pem.h>  // before cms.h, which declares PEM_read_bio_CMS only after it
#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <string>

#include "cardctl/cms.hpp"
#include "cardctl/error.hpp"

using namespace cardctl;

namespace {

template <class T, void (*Free)(T*)>
struct Freer {
  void operator()(T* p) const noexcept { Free(p); }
};
using X509Ptr = std::unique_ptr<X509, Freer<X509, X509_free>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, Freer<EVP_PKEY, EVP_PKEY_free>>;
using BioPtr = std::unique_ptr<BIO, Freer<BIO, BIO_free_all>>;
using CmsPtr = std::unique_ptr<CMS_ContentInfo, Freer<CMS_ContentInfo, CMS_ContentInfo_free>>;

PkeyPtr make_key(const std::string& kind) {
  EVP_PKEY* key = nullptr;
  if (kind == "rsa2048") key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048));
  else if (kind == "rsa1024") key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(1024));
  else if (kind == "p256") key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  else if (kind == "p384") key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384");
  else if (kind == "ed25519") key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  REQUIRE(key != nullptr);
  return PkeyPtr(key);
}

struct CertSpec {
  std::string key_usage;  // e.g. "keyEncipherment"; empty: no extension
  long not_before_days = -1;
  long not_after_days = 365;
};

// A self-signed certificate for the key, as a holder's certificate would carry it.
Bytes make_cert(EVP_PKEY* key, const CertSpec& spec, X509Ptr* keep = nullptr) {
  X509Ptr cert(X509_new());
  REQUIRE(cert);
  X509_set_version(cert.get(), X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 7);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>("Alice Example"), -1,
                             -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), spec.not_before_days * 86400);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), spec.not_after_days * 86400);
  X509_set_pubkey(cert.get(), key);
  if (!spec.key_usage.empty()) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, NID_key_usage, ("critical," + spec.key_usage).c_str());
    REQUIRE(ext != nullptr);
    X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }
  // Ed25519 signs without a digest.
  REQUIRE(X509_sign(cert.get(), key, EVP_PKEY_is_a(key, "ED25519") ? nullptr : EVP_sha256()) > 0);
  unsigned char* buf = nullptr;
  int len = i2d_X509(cert.get(), &buf);
  REQUIRE(len > 0);
  Bytes der(buf, buf + len);
  OPENSSL_free(buf);
  if (keep != nullptr) *keep = std::move(cert);
  return der;
}

std::string decrypt(const Bytes& cms_der, EVP_PKEY* key, X509* cert) {
  const unsigned char* p = cms_der.data();
  CmsPtr cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(cms_der.size())));
  REQUIRE(cms);
  CHECK(OBJ_obj2nid(CMS_get0_type(cms.get())) == NID_pkcs7_enveloped);
  BioPtr out(BIO_new(BIO_s_mem()));
  REQUIRE(CMS_decrypt(cms.get(), key, cert, nullptr, out.get(), CMS_BINARY) == 1);
  char* data = nullptr;
  long len = BIO_get_mem_data(out.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

const std::string kContent = "Card: 12345678\nHolder: 1042\nPUK: 48AC91ZK\n";

ByteView view_of(const std::string& s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }

}  // namespace

TEST_CASE("cms_encrypt: RSA and EC recipients decrypt with OpenSSL's CMS_decrypt") {
  struct Case {
    const char* key;
    const char* usage;
    const char* type;
  };
  for (const Case& c : {Case{"rsa2048", "keyEncipherment", "RSA-2048"}, Case{"rsa2048", "", "RSA-2048"},
                        Case{"p256", "keyAgreement", "EC P-256"}, Case{"p384", "keyAgreement", "EC P-384"},
                        Case{"p256", "", "EC P-256"}}) {
    CAPTURE(c.key);
    CAPTURE(c.usage);
    PkeyPtr key = make_key(c.key);
    X509Ptr cert;
    Bytes der = make_cert(key.get(), {c.usage}, &cert);
    auto info = crypto::check_cms_recipient(der);
    CHECK(info.subject == "CN=Alice Example");
    CHECK(info.key_type == c.type);
    Bytes cms = crypto::cms_encrypt(der, view_of(kContent));
    CHECK(decrypt(cms, key.get(), cert.get()) == kContent);
    // Without the certificate: OpenSSL tries the key on every recipient.
    CHECK(decrypt(cms, key.get(), nullptr) == kContent);
    // The content is not in the message in clear.
    CHECK(std::string(cms.begin(), cms.end()).find("48AC91ZK") == std::string::npos);
  }
}

TEST_CASE("cms_encrypt: AES-256-CBC content encryption, fresh keys each time") {
  PkeyPtr key = make_key("p256");
  Bytes der = make_cert(key.get(), {"keyAgreement"});
  Bytes a = crypto::cms_encrypt(der, view_of(kContent));
  Bytes b = crypto::cms_encrypt(der, view_of(kContent));
  CHECK(a != b);
  const unsigned char* p = a.data();
  CmsPtr cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(a.size())));
  REQUIRE(cms);
  BioPtr text(BIO_new(BIO_s_mem()));
  REQUIRE(CMS_ContentInfo_print_ctx(text.get(), cms.get(), 0, nullptr) == 1);
  char* data = nullptr;
  long len = BIO_get_mem_data(text.get(), &data);
  CHECK(std::string(data, static_cast<std::size_t>(len)).find("aes-256-cbc") != std::string::npos);
}

TEST_CASE("cms_to_pem: a CMS PEM block that reads back to the same DER") {
  PkeyPtr key = make_key("rsa2048");
  Bytes der = make_cert(key.get(), {"keyEncipherment"});
  Bytes cms = crypto::cms_encrypt(der, view_of(kContent));
  std::string pem = crypto::cms_to_pem(cms);
  CHECK(pem.rfind("-----BEGIN CMS-----\n", 0) == 0);
  BioPtr in(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  CmsPtr back(PEM_read_bio_CMS(in.get(), nullptr, nullptr, nullptr));
  REQUIRE(back);
  unsigned char* buf = nullptr;
  int len = i2d_CMS_ContentInfo(back.get(), &buf);
  REQUIRE(len > 0);
  CHECK(Bytes(buf, buf + len) == cms);
  OPENSSL_free(buf);
}

TEST_CASE("check_cms_recipient refuses certificates that cannot or should not receive") {
  auto refused = [](const Bytes& der, const std::string& needle) {
    CAPTURE(needle);
    try {
      crypto::check_cms_recipient(der);
      FAIL("accepted");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::usage);
      CHECK(std::string(e.what()).find(needle) != std::string::npos);
      CHECK_FALSE(e.hint().empty());
    }
    CHECK_THROWS_AS(crypto::cms_encrypt(der, view_of(kContent)), Error);
  };
  PkeyPtr rsa = make_key("rsa2048");
  PkeyPtr ec = make_key("p256");
  refused(make_cert(rsa.get(), {"digitalSignature"}), "not for key encipherment");
  refused(make_cert(ec.get(), {"digitalSignature"}), "not for key agreement");
  // keyEncipherment does not make an EC key usable for key agreement.
  refused(make_cert(ec.get(), {"keyEncipherment"}), "not for key agreement");
  refused(make_cert(ec.get(), {"keyAgreement", -30, -1}), "expired on");
  refused(make_cert(ec.get(), {"keyAgreement", 2, 30}), "not valid before");
  PkeyPtr small = make_key("rsa1024");
  refused(make_cert(small.get(), {"keyEncipherment"}), "1024 bits");
  PkeyPtr ed = make_key("ed25519");
  refused(make_cert(ed.get(), {"keyAgreement"}), "ED25519 key");

  // A time given by the caller decides: the same certificate later is expired.
  Bytes der = make_cert(ec.get(), {"keyAgreement", -1, 10});
  CHECK_NOTHROW(crypto::check_cms_recipient(der));
  CHECK_THROWS_AS(crypto::check_cms_recipient(der, std::chrono::system_clock::now() + std::chrono::hours(24 * 11)),
                  Error);
  // Not a certificate at all.
  Bytes junk{0x30, 0x03, 0x02, 0x01, 0x01};
  try {
    crypto::check_cms_recipient(junk);
    FAIL("accepted");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::io);
  }
}
