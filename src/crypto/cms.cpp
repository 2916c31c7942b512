// CMS EnvelopedData (RFC 5652 section 6) through OpenSSL 3's CMS_encrypt: key transport for RSA recipients,
// ECDH key agreement (RFC 5753) for EC ones, AES-256-CBC content encryption (RFC 3565).
#include "cardctl/cms.hpp"

#include <climits>
#include <cstdint>
#include <ctime>
#include <memory>
#include <openssl/bio.h>
#include <openssl/pem.h>  // before cms.h, which declares PEM_write_bio_CMS only after it
#include <openssl/cms.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cardctl/error.hpp"
#include "cardctl/x509.hpp"
#include "openssl_util.hpp"

namespace cardctl::crypto {

namespace {

using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using CmsPtr = std::unique_ptr<CMS_ContentInfo, Deleter<CMS_ContentInfo, CMS_ContentInfo_free>>;

struct StackFree {
  void operator()(STACK_OF(X509) * s) const noexcept { sk_X509_free(s); }  // the certificates are owned elsewhere
};
using CertStackPtr = std::unique_ptr<STACK_OF(X509), StackFree>;

const char* const kRecipientHint =
    "give the holder's encryption certificate (PIV slot 9d, key management) with --recipient FILE, or deliver the "
    "PUK another way (--format mailer)";

X509Ptr read_certificate(ByteView der) {
  const unsigned char* p = der.data();
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!cert || p != der.data() + der.size()) {
    ERR_clear_error();
    throw Error(ErrorKind::io, "not an X.509 certificate", "give a certificate (PEM: -----BEGIN CERTIFICATE-----)");
  }
  return cert;
}

BioPtr memory_bio(ByteView data) {
  if (data.size() > static_cast<std::size_t>(INT_MAX)) throw Error(ErrorKind::usage, "the content is too large");
  BioPtr bio(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
  if (!bio) fail("allocating a buffer");
  return bio;
}

// The key's kind for messages and the check: RSA of 2048 bits or more, or EC on a NIST prime curve.
std::string key_type(EVP_PKEY* key) {
  if (EVP_PKEY_is_a(key, "RSA")) {
    int bits = EVP_PKEY_get_bits(key);
    if (bits < 2048)
      throw Error(ErrorKind::usage, "the certificate's RSA key has " + std::to_string(bits) + " bits", kRecipientHint);
    return "RSA-" + std::to_string(bits);
  }
  if (EVP_PKEY_is_a(key, "EC")) {
    char group[64] = {};
    std::size_t len = 0;
    if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &len) != 1) {
      ERR_clear_error();
      throw Error(ErrorKind::usage, "the certificate's EC key has no named curve", kRecipientHint);
    }
    const std::string name(group, len);
    if (name == "prime256v1" || name == "P-256") return "EC P-256";
    if (name == "secp384r1" || name == "P-384") return "EC P-384";
    if (name == "secp521r1" || name == "P-521") return "EC P-521";
    throw Error(ErrorKind::usage, "the certificate's EC key is on curve " + name + " (P-256, P-384 or P-521 needed)",
                kRecipientHint);
  }
  throw Error(ErrorKind::usage,
              std::string("the certificate has a ") + EVP_PKEY_get0_type_name(key) +
                  " key, which cannot receive CMS encrypted data here (RSA or EC needed)",
              kRecipientHint);
}

X509Ptr checked_recipient(ByteView der, std::chrono::system_clock::time_point now, CmsRecipient& out) {
  X509Ptr cert = read_certificate(der);
  CertificateInfo info = certificate_info(der);
  out.subject = info.subject;
  out.not_after = info.not_after;
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  // X509_cmp_time: -1 when the certificate time is at or before t, 1 after it, 0 on an unreadable time.
  if (X509_cmp_time(X509_get0_notAfter(cert.get()), &t) <= 0) {
    ERR_clear_error();
    throw Error(ErrorKind::usage, "the certificate of " + info.subject + " expired on " + info.not_after,
                "renew the holder's certificate, or give a current one with --recipient FILE");
  }
  if (X509_cmp_time(X509_get0_notBefore(cert.get()), &t) >= 0) {
    ERR_clear_error();
    throw Error(ErrorKind::usage, "the certificate of " + info.subject + " is not valid before " + info.not_before,
                "check the system clock, or give a certificate that is valid now with --recipient FILE");
  }
  // X509_get_extension_flags parses (and caches) the extensions; a malformed one sets EXFLAG_INVALID.
  const std::uint32_t flags = X509_get_extension_flags(cert.get());
  if ((flags & EXFLAG_INVALID) != 0)
    throw Error(ErrorKind::usage, "the certificate of " + info.subject + " has a malformed extension", kRecipientHint);
  EVP_PKEY* key = X509_get0_pubkey(cert.get());
  if (key == nullptr) fail("reading the certificate's public key");
  out.key_type = key_type(key);
  // RFC 5280 4.2.1.3: with a keyUsage extension, an RSA key that receives a content-encryption key needs
  // keyEncipherment, an EC key used in key agreement keyAgreement.
  if ((flags & EXFLAG_KUSAGE) != 0) {
    const bool rsa = EVP_PKEY_is_a(key, "RSA");
    const std::uint32_t needed = rsa ? KU_KEY_ENCIPHERMENT : KU_KEY_AGREEMENT;
    if ((X509_get_key_usage(cert.get()) & needed) == 0)
      throw Error(ErrorKind::usage,
                  "the certificate of " + info.subject + " is not for " +
                      (rsa ? "key encipherment" : "key agreement") + " (its keyUsage does not allow " +
                      (rsa ? "keyEncipherment" : "keyAgreement") + ")",
                  kRecipientHint);
  }
  return cert;
}

}  // namespace

CmsRecipient check_cms_recipient(ByteView certificate_der, std::chrono::system_clock::time_point now) {
  CmsRecipient out;
  checked_recipient(certificate_der, now, out);
  return out;
}

Bytes cms_encrypt(ByteView certificate_der, ByteView content, std::chrono::system_clock::time_point now) {
  CmsRecipient info;
  X509Ptr cert = checked_recipient(certificate_der, now, info);
  CertStackPtr recipients(sk_X509_new_null());
  if (!recipients || sk_X509_push(recipients.get(), cert.get()) <= 0) fail("listing the recipient");
  BioPtr in = memory_bio(content);
  // CMS_BINARY: the content is taken as it is (no CRLF canonicalisation of text). AES-256-CBC: RFC 3565.
  CmsPtr cms(CMS_encrypt(recipients.get(), in.get(), EVP_aes_256_cbc(), CMS_BINARY));
  if (!cms) fail("encrypting to " + info.subject);
  unsigned char* buf = nullptr;
  int len = i2d_CMS_ContentInfo(cms.get(), &buf);
  if (len <= 0) fail("encoding the CMS message");
  Bytes der(buf, buf + len);
  OPENSSL_free(buf);
  return der;
}

std::string cms_to_pem(ByteView der) {
  const unsigned char* p = der.data();
  CmsPtr cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(der.size())));
  if (!cms) fail("reading the CMS message");
  BioPtr out(BIO_new(BIO_s_mem()));
  if (!out || PEM_write_bio_CMS(out.get(), cms.get()) != 1) fail("writing the CMS message as PEM");
  char* data = nullptr;
  long len = BIO_get_mem_data(out.get(), &data);
  return len > 0 ? std::string(data, static_cast<std::size_t>(len)) : std::string();
}

}  // namespace cardctl::crypto
