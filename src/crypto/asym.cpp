#include "cardctl/asym.hpp"

#include <algorithm>
#include <cctype>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <string>

#include "cardctl/error.hpp"
#include "openssl_util.hpp"

namespace cardctl::crypto {

namespace {
const char* curve_of(KeyAlgorithm a) {
  return a == KeyAlgorithm::eccp256 ? "P-256" : a == KeyAlgorithm::eccp384 ? "P-384" : nullptr;
}
bool is_rsa(KeyAlgorithm a) { return a == KeyAlgorithm::rsa1024 || a == KeyAlgorithm::rsa2048; }

KeyAlgorithm algorithm_of(EVP_PKEY* key) {
  if (EVP_PKEY_is_a(key, "RSA")) return EVP_PKEY_get_bits(key) <= 1024 ? KeyAlgorithm::rsa1024 : KeyAlgorithm::rsa2048;
  if (EVP_PKEY_is_a(key, "EC")) return EVP_PKEY_get_bits(key) > 256 ? KeyAlgorithm::eccp384 : KeyAlgorithm::eccp256;
  throw Error(ErrorKind::crypto, "unsupported key type");
}

// SubjectPublicKeyInfo DER of a key.
Bytes spki_of(EVP_PKEY* key) {
  unsigned char* buf = nullptr;
  int len = i2d_PUBKEY(key, &buf);
  if (len <= 0) fail("encoding a public key");
  Bytes out(buf, buf + len);
  OPENSSL_free(buf);
  return out;
}

// An EC public key on the named curve from an uncompressed point; nullptr when the point is not on it.
PkeyPtr ec_public_key(const char* curve, ByteView point) {
  std::string group = curve;
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group.data(), 0),
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, const_cast<std::uint8_t*>(point.data()),
                                        point.size()),
      OSSL_PARAM_construct_end()};
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* raw = nullptr;
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 || EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params) != 1) {
    ERR_clear_error();
    return nullptr;
  }
  return PkeyPtr(raw);
}

Bytes bn_param(EVP_PKEY* key, const char* name) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &bn) != 1) fail("reading key parameter");
  Bytes out(static_cast<std::size_t>(BN_num_bytes(bn)));
  BN_bn2bin(bn, out.data());
  BN_free(bn);
  return out;
}
}  // namespace

std::optional<KeyAlgorithm> key_algorithm_from_piv_id(std::uint8_t id) {
  switch (id) {
    case 0x06: return KeyAlgorithm::rsa1024;
    case 0x07: return KeyAlgorithm::rsa2048;
    case 0x11: return KeyAlgorithm::eccp256;
    case 0x14: return KeyAlgorithm::eccp384;
  }
  return std::nullopt;
}

std::optional<KeyAlgorithm> key_algorithm_from_name(std::string_view name) {
  std::string n;
  for (char c : name)
    if (c != '-' && c != '_') n.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (n == "rsa1024") return KeyAlgorithm::rsa1024;
  if (n == "rsa2048" || n == "rsa") return KeyAlgorithm::rsa2048;
  if (n == "eccp256" || n == "p256" || n == "ecp256") return KeyAlgorithm::eccp256;
  if (n == "eccp384" || n == "p384" || n == "ecp384") return KeyAlgorithm::eccp384;
  return std::nullopt;
}

const char* name(KeyAlgorithm a) {
  switch (a) {
    case KeyAlgorithm::rsa1024: return "rsa1024";
    case KeyAlgorithm::rsa2048: return "rsa2048";
    case KeyAlgorithm::eccp256: return "eccp256";
    case KeyAlgorithm::eccp384: return "eccp384";
  }
  return "unknown";
}

KeyPair KeyPair::generate(KeyAlgorithm a) {
  EVP_PKEY* key = nullptr;
  if (is_rsa(a)) {
    key = EVP_RSA_gen(a == KeyAlgorithm::rsa1024 ? 1024 : 2048);
  } else {
    key = EVP_EC_gen(curve_of(a));
  }
  if (key == nullptr) fail(std::string("generating an ") + name(a) + " key");
  return KeyPair(key, a);
}

KeyPair KeyPair::from_private_der(ByteView der) {
  PkeyPtr key = read_private_key(der);
  KeyAlgorithm a = algorithm_of(key.get());
  return KeyPair(key.release(), a);
}

SecureBytes KeyPair::private_der() const {
  unsigned char* buf = nullptr;
  int len = i2d_PrivateKey(key_, &buf);
  if (len <= 0) fail("encoding a private key");
  SecureBytes out(buf, buf + len);
  OPENSSL_clear_free(buf, static_cast<std::size_t>(len));
  return out;
}

Bytes KeyPair::public_spki_der() const { return spki_of(key_); }

Bytes KeyPair::rsa_modulus() const { return bn_param(key_, OSSL_PKEY_PARAM_RSA_N); }
Bytes KeyPair::rsa_exponent() const { return bn_param(key_, OSSL_PKEY_PARAM_RSA_E); }

Bytes KeyPair::ec_point() const {
  std::size_t len = 0;
  if (EVP_PKEY_get_octet_string_param(key_, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, nullptr, 0, &len) != 1)
    fail("reading an EC point");
  Bytes out(len);
  if (EVP_PKEY_get_octet_string_param(key_, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, out.data(), out.size(), &len) != 1)
    fail("reading an EC point");
  out.resize(len);
  return out;
}

Bytes KeyPair::rsa_raw_private(ByteView block) const {
  if (!is_rsa(algorithm_)) throw Error(ErrorKind::usage, "not an RSA key");
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key_, nullptr));
  if (!ctx || EVP_PKEY_decrypt_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_NO_PADDING) != 1)
    fail("RSA private operation");
  std::size_t len = 0;
  if (EVP_PKEY_decrypt(ctx.get(), nullptr, &len, block.data(), block.size()) != 1) fail("RSA private operation");
  Bytes out(len);
  if (EVP_PKEY_decrypt(ctx.get(), out.data(), &len, block.data(), block.size()) != 1) fail("RSA private operation");
  out.resize(len);
  return out;
}

Bytes KeyPair::ecdsa_sign_digest(ByteView digest) const {
  if (is_rsa(algorithm_)) throw Error(ErrorKind::usage, "not an EC key");
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key_, nullptr));
  if (!ctx || EVP_PKEY_sign_init(ctx.get()) != 1) fail("ECDSA signature");
  std::size_t len = 0;
  if (EVP_PKEY_sign(ctx.get(), nullptr, &len, digest.data(), digest.size()) != 1) fail("ECDSA signature");
  Bytes out(len);
  if (EVP_PKEY_sign(ctx.get(), out.data(), &len, digest.data(), digest.size()) != 1) fail("ECDSA signature");
  out.resize(len);
  return out;
}

SecureBytes KeyPair::ecdh(ByteView peer_point) const {
  if (is_rsa(algorithm_)) throw Error(ErrorKind::usage, "not an EC key");
  PkeyPtr peer = ec_public_key(curve_of(algorithm_), peer_point);
  if (!peer) throw Error(ErrorKind::wrong_data, "the peer's EC point is not valid on this curve");
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key_, nullptr));
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 || EVP_PKEY_derive_set_peer(ctx.get(), peer.get()) != 1)
    throw Error(ErrorKind::wrong_data, "the peer's EC point cannot be used for ECDH");
  std::size_t len = 0;
  if (EVP_PKEY_derive(ctx.get(), nullptr, &len) != 1) fail("ECDH");
  SecureBytes out(len);
  if (EVP_PKEY_derive(ctx.get(), out.data(), &len) != 1) fail("ECDH");
  out.resize(len);
  return out;
}

KeyPair::KeyPair(KeyPair&& other) noexcept : key_(other.key_), algorithm_(other.algorithm_) { other.key_ = nullptr; }
KeyPair& KeyPair::operator=(KeyPair&& other) noexcept {
  if (this != &other) {
    EVP_PKEY_free(key_);
    key_ = other.key_;
    algorithm_ = other.algorithm_;
    other.key_ = nullptr;
  }
  return *this;
}
KeyPair::~KeyPair() { EVP_PKEY_free(key_); }

PublicKeyInfo public_key_info(ByteView spki_der) {
  const unsigned char* p = spki_der.data();
  PkeyPtr key(d2i_PUBKEY(nullptr, &p, static_cast<long>(spki_der.size())));
  if (!key || p != spki_der.data() + spki_der.size()) {
    ERR_clear_error();
    throw Error(ErrorKind::wrong_data, "not a public key (SubjectPublicKeyInfo)");
  }
  if (!EVP_PKEY_is_a(key.get(), "RSA") && !EVP_PKEY_is_a(key.get(), "EC"))
    throw Error(ErrorKind::wrong_data, "not an RSA or EC public key");
  PublicKeyInfo info{algorithm_of(key.get()), {}};
  if (!is_rsa(info.algorithm)) {
    char group[64] = {};
    std::size_t group_len = 0;
    if (EVP_PKEY_get_utf8_string_param(key.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &group_len) != 1)
      fail("reading an EC curve");
    const std::string curve(group, group_len);
    const bool p256 = curve == "prime256v1" || curve == "P-256", p384 = curve == "secp384r1" || curve == "P-384";
    if (!(info.algorithm == KeyAlgorithm::eccp256 ? p256 : p384))
      throw Error(ErrorKind::wrong_data, "an EC key on " + curve + ", not P-256 or P-384");
    std::size_t len = 0;
    if (EVP_PKEY_get_octet_string_param(key.get(), OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, nullptr, 0, &len) != 1)
      fail("reading an EC point");
    info.ec_point.resize(len);
    if (EVP_PKEY_get_octet_string_param(key.get(), OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, info.ec_point.data(), len,
                                        &len) != 1)
      fail("reading an EC point");
    info.ec_point.resize(len);
  }
  return info;
}

bool verify_sha256_signature(ByteView spki_der, ByteView data, ByteView signature) {
  const unsigned char* p = spki_der.data();
  PkeyPtr key(d2i_PUBKEY(nullptr, &p, static_cast<long>(spki_der.size())));
  if (!key) fail("reading a public key");
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1)
    fail("initialising signature verification");
  int rc = EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), data.data(), data.size());
  ERR_clear_error();
  return rc == 1;
}

Bytes pkcs1_sha256_block(ByteView digest, std::size_t k) {
  static const Bytes prefix = from_hex("3031300d060960864801650304020105000420");  // DigestInfo for SHA-256
  if (digest.size() != 32) throw Error(ErrorKind::usage, "a SHA-256 digest is 32 bytes");
  Bytes t = concat({prefix, digest});
  if (k < t.size() + 11) throw Error(ErrorKind::usage, "the RSA modulus is too short for a SHA-256 signature");
  Bytes block(k, 0xFF);
  block[0] = 0x00;
  block[1] = 0x01;
  block[k - t.size() - 1] = 0x00;
  std::copy(t.begin(), t.end(), block.end() - static_cast<long>(t.size()));
  return block;
}

Bytes spki_from_rsa(ByteView modulus, ByteView exponent) {
  BIGNUM* n = BN_bin2bn(modulus.data(), static_cast<int>(modulus.size()), nullptr);
  BIGNUM* e = BN_bin2bn(exponent.data(), static_cast<int>(exponent.size()), nullptr);
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n);
  OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e);
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  EVP_PKEY* raw = nullptr;
  bool ok = ctx && params && EVP_PKEY_fromdata_init(ctx.get()) == 1 &&
            EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params) == 1;
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(bld);
  BN_free(n);
  BN_free(e);
  if (!ok) throw Error(ErrorKind::protocol, "the card returned an RSA public key that is not valid");
  return spki_of(PkeyPtr(raw).get());
}

Bytes spki_from_ec_point(KeyAlgorithm a, ByteView point) {
  const char* curve = curve_of(a);
  if (curve == nullptr) throw Error(ErrorKind::usage, "not an EC algorithm");
  PkeyPtr key = ec_public_key(curve, point);
  if (!key) throw Error(ErrorKind::protocol, "the card returned an EC point that is not on the curve");
  return spki_of(key.get());
}

}  // namespace cardctl::crypto
