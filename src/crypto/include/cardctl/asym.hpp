// Layer 2: asymmetric keys for the PIV key slots (the reference card generates and uses them; the tool
// verifies signatures in tests). RSA-2048, ECC P-256, ECC P-384. Wraps EVP_PKEY.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "cardctl/bytes.hpp"

typedef struct evp_pkey_st EVP_PKEY;

namespace cardctl::crypto {

/// SP 800-78-4 algorithm identifiers used by GENERATE ASYMMETRIC KEY PAIR.
enum class KeyAlgorithm : std::uint8_t { rsa1024 = 0x06, rsa2048 = 0x07, eccp256 = 0x11, eccp384 = 0x14 };
std::optional<KeyAlgorithm> key_algorithm_from_piv_id(std::uint8_t id);
std::optional<KeyAlgorithm> key_algorithm_from_name(std::string_view name);  // "rsa2048", "eccp256", "p256"...
const char* name(KeyAlgorithm a);  // "rsa2048", "eccp256", ...

class KeyPair {
 public:
  static KeyPair generate(KeyAlgorithm a);
  /// From/to PKCS#8 DER (the reference card's state file stores keys this way, wrapped in SecureBytes).
  static KeyPair from_private_der(ByteView der);
  SecureBytes private_der() const;
  /// SubjectPublicKeyInfo DER.
  Bytes public_spki_der() const;
  KeyAlgorithm algorithm() const { return algorithm_; }

  /// RSA: modulus and public exponent, big-endian, no leading zeros. EC: uncompressed point 04||X||Y.
  Bytes rsa_modulus() const;
  Bytes rsa_exponent() const;
  Bytes ec_point() const;

  /// RSA raw private operation (no padding) on a block of modulus length: what PIV GENERAL AUTHENTICATE
  /// does for RSA signing and decryption.
  Bytes rsa_raw_private(ByteView block) const;
  /// ECDSA over a pre-hashed digest; returns the DER SEQUENCE { r, s } as PIV cards do.
  Bytes ecdsa_sign_digest(ByteView digest) const;
  /// ECDH with a peer's uncompressed point; returns the shared secret X coordinate.
  SecureBytes ecdh(ByteView peer_point) const;

  KeyPair(KeyPair&&) noexcept;
  KeyPair& operator=(KeyPair&&) noexcept;
  ~KeyPair();

 private:
  KeyPair(EVP_PKEY* key, KeyAlgorithm a) : key_(key), algorithm_(a) {}
  EVP_PKEY* key_ = nullptr;
  KeyAlgorithm algorithm_;
};

/// SubjectPublicKeyInfo DER from the parts a card returns in 7F49 (RSA 81/82, EC 86).
Bytes spki_from_rsa(ByteView modulus, ByteView exponent);
Bytes spki_from_ec_point(KeyAlgorithm a, ByteView uncompressed_point);

/// The algorithm of a public key given as SubjectPublicKeyInfo DER, and for an EC key its uncompressed point
/// (empty for RSA). Error(wrong_data) when the DER is not a public key of one of the PIV algorithms.
struct PublicKeyInfo {
  KeyAlgorithm algorithm;
  Bytes ec_point;
};
PublicKeyInfo public_key_info(ByteView spki_der);

/// Verifies a signature made by a card, for tests and `--verify` style checks: RSA PKCS#1 v1.5 or ECDSA
/// (DER) over SHA-256 of data, with the public key given as SubjectPublicKeyInfo DER.
bool verify_sha256_signature(ByteView spki_der, ByteView data, ByteView signature);

/// EMSA-PKCS1-v1_5 (RFC 8017 §9.2) of a SHA-256 digest for a k-byte modulus: 00 01 FF..FF 00 DigestInfo. A PIV
/// client sends this block to the card, which does the raw RSA operation. Error(usage) when digest is not 32
/// bytes or k is too short.
Bytes pkcs1_sha256_block(ByteView digest, std::size_t k);

}  // namespace cardctl::crypto
