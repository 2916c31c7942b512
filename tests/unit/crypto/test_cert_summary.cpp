// The certificate summary `cardctl status` shows (crypto::summarize_certificate, RFC 5280 §4.1): the subject's
// first CN and the expiry of a certificate made here with OpenSSL; nothing but parsed = false for other DER.
#include <doctest/doctest.h>

#include <memory>
#include <openssl/asn1.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "cardctl/x509.hpp"

using namespace cardctl;

namespace {
Bytes self_signed(const char* cn, const char* not_after) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  REQUIRE(key);
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
  REQUIRE(X509_set_version(cert.get(), 2) == 1);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_NAME* name = X509_get_subject_name(cert.get());
  if (cn != nullptr)
    REQUIRE(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(cn), -1, -1,
                                       0) == 1);
  REQUIRE(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>("Example"),
                                     -1, -1, 0) == 1);
  REQUIRE(X509_set_issuer_name(cert.get(), name) == 1);
  REQUIRE(ASN1_TIME_set_string(X509_getm_notBefore(cert.get()), "20240101000000Z") == 1);
  REQUIRE(ASN1_TIME_set_string(X509_getm_notAfter(cert.get()), not_after) == 1);
  REQUIRE(X509_set_pubkey(cert.get(), key.get()) == 1);
  REQUIRE(X509_sign(cert.get(), key.get(), EVP_sha256()) > 0);
  unsigned char* der = nullptr;
  const int n = i2d_X509(cert.get(), &der);
  REQUIRE(n > 0);
  Bytes out(der, der + n);
  OPENSSL_free(der);
  return out;
}
}  // namespace

TEST_CASE("summarize_certificate: subject CN and expiry") {
  auto s = crypto::summarize_certificate(self_signed("Ana Müller", "20261122103800Z"));
  CHECK(s.parsed);
  CHECK(s.subject_cn == std::optional<std::string>("Ana Müller"));
  CHECK(s.not_after == std::optional<std::string>("2026-11-22T10:38:00Z"));
}

TEST_CASE("summarize_certificate: no CN; not a certificate") {
  auto s = crypto::summarize_certificate(self_signed(nullptr, "20301231235959Z"));
  CHECK(s.parsed);
  CHECK_FALSE(s.subject_cn);
  CHECK(s.not_after == std::optional<std::string>("2030-12-31T23:59:59Z"));
  const Bytes junk = {0x30, 0x03, 0x02, 0x01, 0x01};
  auto none = crypto::summarize_certificate(junk);
  CHECK_FALSE(none.parsed);
  CHECK_FALSE(none.subject_cn);
  CHECK_FALSE(none.not_after);
  CHECK_FALSE(crypto::summarize_certificate(ByteView()).parsed);
}
