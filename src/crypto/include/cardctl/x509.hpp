// Layer 2 (crypto): X.509 certificates (RFC 5280) and PKCS#10 certificate requests (RFC 2986) for keys held on
// a card. A request is signed by the card through an ExternalSigner; a small file-based CA issues end-entity
// certificates from requests. Built on OpenSSL 3's X509 / X509_REQ / X509V3 / PEM APIs, no hand-made DER.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cardctl/bytes.hpp"

typedef struct x509_st X509;
typedef struct evp_pkey_st EVP_PKEY;

namespace cardctl::crypto {

/// Signs SHA-256 over `tbs` with a key held elsewhere (a card): returns an ECDSA signature as DER
/// SEQUENCE{r,s} or an RSA PKCS#1 v1.5 signature, as PIV cards produce them.
using ExternalSigner = std::function<Bytes(ByteView tbs)>;

/// Subject strings are comma-separated, RFC 4514 style, most specific first:
/// "CN=Alice Example,O=Example Ltd,OU=Staff". UTF-8. In a value "\," is a comma, "\+" a plus sign, "\\" a
/// backslash, "\XX" a hex byte; unescaped spaces around a value are dropped. As RFC 4514 writes a name, the
/// last element is the first RDN of the encoded Name. Attributes: CN O OU C L ST street DC UID emailAddress
/// serialNumber title GN SN initials pseudonym dnQualifier postalCode, or a dotted OID.
/// Throws Error(usage) naming the bad part: unknown attribute, missing '=', empty value, unescaped '+'
/// (multi-valued RDNs are not supported), a value the attribute does not allow (C must be two letters).
/// make_csr and issue do this themselves; this lets a caller check a subject before it generates a key.
void check_subject(const std::string& subject);

/// PKCS#10 request for the public key `spki_der` (SubjectPublicKeyInfo DER) with `subject`, signed by `sign`
/// (sha256WithRSAEncryption or ecdsa-with-SHA256 chosen from the key type). The subject is checked before
/// `sign` is called. Error(crypto) when the signature `sign` returns does not verify with the public key (the
/// card signed with another key). Returns the request as DER.
Bytes make_csr(ByteView spki_der, const std::string& subject, const ExternalSigner& sign);

struct CertificateProfile {
  std::string subject;                          // as above; replaces the CSR's subject
  int days = 365;                               // validity from now (notBefore = now - 5 minutes)
  std::vector<std::string> key_usage;           // digitalSignature nonRepudiation keyEncipherment dataEncipherment
                                                // keyAgreement cRLSign encipherOnly decipherOnly; none: no extension
  std::vector<std::string> extended_key_usage;  // serverAuth clientAuth emailProtection codeSigning timeStamping
                                                // OCSPSigning smartcardLogon (1.3.6.1.4.1.311.20.2.2), or dotted
                                                // OIDs; none: no extension
  std::string email;                            // subjectAltName rfc822Name when not empty
  std::string upn;                              // subjectAltName otherName msUPN 1.3.6.1.4.1.311.20.2.3 (UTF8String)
};

/// Everything issue() would refuse in a profile (subject, days, usages, e-mail, UPN), checked without a request, so
/// that issuance can refuse a bad profile before the card is touched.
void check_profile(const CertificateProfile& profile);

class CertificateAuthority {
 public:
  /// The CA certificate and private key from PEM files. The key file must be readable only by its owner
  /// (Error(io), hint "chmod 600 FILE"). An encrypted key needs `passphrase` (nullptr: Error(usage) saying so);
  /// a wrong passphrase is Error(auth_failed). The certificate must be a CA certificate (RFC 5280 4.2.1.9) and
  /// the key must match it, else Error(usage) naming the file(s). The key is RSA or EC.
  static CertificateAuthority load(const std::string& certificate_pem, const std::string& key_pem,
                                   const SecureString* passphrase);
  /// Verifies the CSR's signature (Error(crypto) "the certificate request is not signed by its key" otherwise),
  /// then issues a certificate: random positive 16-byte serial, issuer = CA subject, the profile's subject,
  /// validity, basicConstraints CA:FALSE (critical), keyUsage (critical), extendedKeyUsage, subjectAltName,
  /// subjectKeyIdentifier, authorityKeyIdentifier; signed with SHA-256 by the CA key. Returns DER.
  /// Error(usage) for a bad profile (unknown usage name, keyCertSign, days < 1, a malformed email).
  Bytes issue(ByteView csr_der, const CertificateProfile& profile,
              std::chrono::system_clock::time_point now = std::chrono::system_clock::now()) const;
  Bytes certificate_der() const;

  CertificateAuthority(CertificateAuthority&&) noexcept;
  CertificateAuthority& operator=(CertificateAuthority&&) noexcept;
  CertificateAuthority(const CertificateAuthority&) = delete;
  CertificateAuthority& operator=(const CertificateAuthority&) = delete;
  ~CertificateAuthority();

 private:
  CertificateAuthority(X509* certificate, EVP_PKEY* key) : certificate_(certificate), key_(key) {}
  X509* certificate_ = nullptr;
  EVP_PKEY* key_ = nullptr;
};

/// A private (non-critical) extension whose extnValue holds `value` as it is, not wrapped in a further DER type:
/// Yubico's PIV attestation extensions (1.3.6.1.4.1.41482.3.x) are written so.
struct RawExtension {
  std::string oid;  // dotted
  Bytes value;
};

/// A self-signed CA certificate for the key `private_der` (PKCS#8, RSA or EC): version 3, random positive
/// 16-byte serial, issuer = subject, notBefore `not_before`, notAfter 99991231235959Z (RFC 5280 4.1.2.5: no
/// well-defined expiry), basicConstraints CA:TRUE and keyUsage keyCertSign (both critical),
/// subjectKeyIdentifier; signed with SHA-256. Returns DER. The reference card's attestation certificate (slot F9).
Bytes self_signed_ca_certificate(ByteView private_der, const std::string& subject,
                                 std::chrono::system_clock::time_point not_before);

/// A certificate for the public key `subject_spki` (SubjectPublicKeyInfo DER) issued under the certificate
/// `issuer_der` by its key `issuer_key_der` (PKCS#8): version 3, random positive 16-byte serial, issuer = the
/// issuer certificate's subject, validity copied from the issuer certificate, `subject`, exactly `extensions`;
/// signed with SHA-256 (RSA PKCS#1 v1.5 or ECDSA). Returns DER. This is how a YubiKey builds a PIV attestation
/// (Yubico, "PIV Attestation OID Arc"). Error(io) when `issuer_der` is not a certificate, Error(usage) for a bad
/// subject, public key or OID, Error(crypto) when the key cannot sign.
Bytes issue_under(ByteView subject_spki, const std::string& subject, const std::vector<RawExtension>& extensions,
                  ByteView issuer_der, ByteView issuer_key_der);

struct CertificateInfo {
  std::string subject;      // one line, RFC 4514 (UTF-8 kept as is)
  std::string issuer;
  std::string serial_hex;   // lower-case, whole bytes
  std::string not_before;   // "2026-11-22T10:38:00Z"
  std::string not_after;
  Bytes public_key_spki;    // DER
};
/// Error(io) "not an X.509 certificate" when OpenSSL cannot read it.
CertificateInfo certificate_info(ByteView der);
/// The public key of a CSR (SPKI DER), after checking its signature: Error(io) when it is not a PKCS#10
/// request, Error(crypto) when the signature is bad.
Bytes csr_public_key(ByteView csr_der);

/// The first PEM block of `pem` (text around it is skipped): CERTIFICATE or CERTIFICATE REQUEST (also the old
/// NEW CERTIFICATE REQUEST). Error(usage) for any other label or no PEM block.
Bytes pem_to_der(std::string_view pem);
/// label "CERTIFICATE" or "CERTIFICATE REQUEST"; Error(usage) otherwise.
std::string der_to_pem(ByteView der, std::string_view label);

/// What `cardctl status` shows of a slot's certificate (RFC 5280 §4.1): subject common name and expiry.
struct CertSummary {
  bool parsed = false;                    // false when the DER is not an X.509 certificate OpenSSL can read
  std::optional<std::string> subject_cn;  // first CN of the subject, UTF-8
  std::optional<std::string> not_after;   // "2026-11-22T10:38:00Z"
};

/// Never throws on bad input: a DER that is not a certificate gives parsed = false and nothing else.
CertSummary summarize_certificate(ByteView der);

}  // namespace cardctl::crypto
