// Layer 2 (crypto): CMS EnvelopedData (RFC 5652 section 6) to one recipient certificate, for delivering a secret
// (a PUK) to a card's holder. RSA recipients get key transport (RFC 5652 6.2.1, PKCS#1 v1.5, the padding PIV cards
// and their middleware decrypt), EC recipients ECDH key agreement (RFC 5753: ephemeral-static, SHA-1 X9.63 KDF,
// AES key wrap). The content is encrypted with AES-256-CBC (RFC 3565), which every S/MIME client and
// `openssl cms -decrypt` read. Built on OpenSSL 3's CMS API.
#pragma once

#include <chrono>
#include <string>

#include "cardctl/bytes.hpp"

namespace cardctl::crypto {

/// What check_cms_recipient found out about a certificate.
struct CmsRecipient {
  std::string subject;   // one line, RFC 4514 (as certificate_info gives it)
  std::string key_type;  // "RSA-2048", "EC P-256", ...
  std::string not_after;  // "2027-11-22T10:38:00Z"
};

/// Checks that the certificate (DER) can receive an encrypted message at `now`: it is valid then (not expired,
/// not yet valid), its key is RSA of at least 2048 bits or EC on P-256, P-384 or P-521, and, when it has a keyUsage
/// extension, that allows keyEncipherment (RSA) or keyAgreement (EC). Error(usage) naming the problem, with a hint;
/// Error(io) when it is not an X.509 certificate.
CmsRecipient check_cms_recipient(ByteView certificate_der,
                                 std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

/// A ContentInfo holding EnvelopedData of `content` (as binary data, no MIME canonicalisation) for the certificate,
/// after check_cms_recipient; returns DER (what `openssl cms -decrypt -inform DER` reads).
Bytes cms_encrypt(ByteView certificate_der, ByteView content,
                  std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

/// The DER ContentInfo as PEM, label "CMS" (what `openssl cms -inform PEM` reads).
std::string cms_to_pem(ByteView der);

}  // namespace cardctl::crypto
