#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <algorithm>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "cardctl/crypto.hpp"
#include "cardctl/error.hpp"
#include "openssl_util.hpp"

namespace cardctl::crypto {

namespace {
const char* cmac_cipher_for(std::size_t key_length) {
  switch (key_length) {
    case 16: return "AES-128-CBC";
    case 24: return "AES-192-CBC";
    case 32: return "AES-256-CBC";
  }
  throw Error(ErrorKind::usage, "a CMAC key must be 16, 24 or 32 bytes, got " + std::to_string(key_length));
}

SecureBytes derive(const char* kdf_name, std::vector<OSSL_PARAM> params, std::size_t out_len) {
  params.push_back(OSSL_PARAM_construct_end());
  KdfPtr kdf(EVP_KDF_fetch(nullptr, kdf_name, nullptr));
  if (!kdf) fail(std::string("loading ") + kdf_name);
  KdfCtxPtr ctx(EVP_KDF_CTX_new(kdf.get()));
  if (!ctx) fail(std::string("creating ") + kdf_name);
  SecureBytes out(out_len);
  if (EVP_KDF_derive(ctx.get(), out.data(), out.size(), params.data()) != 1) fail(kdf_name);
  return out;
}

void put_be32(SecureBytes& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}

// OSSL_PARAM wants non-const pointers; the KDF only reads them.
void* mut(const void* p) { return const_cast<void*>(p); }
}  // namespace

SecureBytes kbkdf(const Prf& prf, ByteView label, ByteView context, std::size_t out_len, const KbkdfParams& p) {
  // SP 800-108 section 4.1 (counter mode, r = 32, counter before the fixed data), as OpenSSL's KBKDF:
  // K(i) = PRF(K_I, [i]_32 || label || 0x00 || context || [L]_32), i = 1 .. ceil(L / h), output the first L bits.
  if (!prf) throw Error(ErrorKind::usage, "KBKDF: no PRF given");
  if (out_len == 0 || out_len > 0xFFFFFFFFu / 8)
    throw Error(ErrorKind::usage, "KBKDF: output length must be 1 to 536870911 bytes, got " + std::to_string(out_len));
  SecureBytes fixed(label.begin(), label.end());
  if (p.use_separator) fixed.push_back(0x00);
  fixed.insert(fixed.end(), context.begin(), context.end());
  if (p.use_l) put_be32(fixed, static_cast<std::uint32_t>(out_len * 8));

  SecureBytes out;
  out.reserve(out_len);
  SecureBytes input(4);
  input.insert(input.end(), fixed.begin(), fixed.end());
  for (std::uint32_t i = 1; out.size() < out_len; ++i) {
    for (int b = 0; b < 4; ++b) input[static_cast<std::size_t>(b)] = static_cast<std::uint8_t>(i >> (24 - 8 * b));
    SecureBytes block = prf(input);
    if (block.empty()) throw Error(ErrorKind::crypto, "KBKDF: the PRF returned no output");
    out.insert(out.end(), block.begin(), block.begin() + static_cast<std::ptrdiff_t>(
                                                              std::min(block.size(), out_len - out.size())));
  }
  return out;
}

namespace {
// The key-based PRFs: CMAC-AES-<bits of key> or HMAC-<digest>, keyed by key (which must outlive the PRF).
Prf key_prf(ByteView key, const KbkdfParams& p) {
  if (p.mac == "CMAC") {
    const char* cipher = cmac_cipher_for(key.size());
    return [key, cipher](ByteView m) { return evp_mac("CMAC", OSSL_MAC_PARAM_CIPHER, cipher, key, m); };
  }
  if (p.mac == "HMAC")
    return [key, digest = p.digest](ByteView m) { return evp_mac("HMAC", OSSL_MAC_PARAM_DIGEST, digest, key, m); };
  throw Error(ErrorKind::usage, "KBKDF: unknown MAC '" + p.mac + "' (CMAC or HMAC)");
}
}  // namespace

SecureBytes kbkdf(ByteView key, ByteView label, ByteView context, std::size_t out_len, const KbkdfParams& p) {
  return kbkdf(key_prf(key, p), label, context, out_len, p);
}

bool tdes_key_is_weak(ByteView key) {
  if (key.size() != 24) return false;
  auto k1 = key.subspan(0, 8), k2 = key.subspan(8, 8), k3 = key.subspan(16, 8);
  // Parity bits (the low bit of each byte) are ignored by DES; compare the key bits only.
  auto same = [](ByteView a, ByteView b) {
    for (std::size_t i = 0; i < 8; ++i)
      if ((a[i] & 0xFE) != (b[i] & 0xFE)) return false;
    return true;
  };
  return same(k1, k2) || same(k2, k3);
}

AdminKey derive_admin_key(const Prf& master_prf, AdminAlgorithm a, std::string_view card_id,
                          std::uint32_t key_version) {
  std::string context = std::string(card_id) + "/" + std::to_string(key_version);
  // SP 800-108 KBKDF, counter mode, PRF CMAC-AES-256, label "cardctl admin key" (docs/architecture.md#key-derivation).
  SecureBytes key = kbkdf(master_prf, view("cardctl admin key"), view(context), info(a).key_length);
  if (a == AdminAlgorithm::tdes && tdes_key_is_weak(key))
    throw Error(ErrorKind::crypto,
                "the TDES admin key derived for card " + std::string(card_id) + " version " +
                    std::to_string(key_version) + " has two equal parts and cannot be used",
                "issue the card with the next key version (cardctl init --rotate) or an AES admin key");
  return AdminKey(std::move(key));
}

AdminKey derive_admin_key(const MasterKey& master, AdminAlgorithm a, std::string_view card_id,
                          std::uint32_t key_version) {
  if (master.size() != 32) throw Error(ErrorKind::usage, "a master admin key must be 32 bytes");
  return derive_admin_key(key_prf(master.bytes(), KbkdfParams{}), a, card_id, key_version);
}

Prf master_key_prf(const MasterKey& master) {
  if (master.size() != 32) throw Error(ErrorKind::usage, "a master admin key must be 32 bytes");
  auto key = std::make_shared<const MasterKey>(master.clone());
  return [key](ByteView m) { return evp_mac("CMAC", OSSL_MAC_PARAM_CIPHER, "AES-256-CBC", key->bytes(), m); };
}

SecureBytes scrypt(ByteView passphrase, ByteView salt, std::size_t out_len, const ScryptParams& sp) {
  std::uint64_t n = sp.n;
  std::uint32_t r = sp.r, p = sp.p;
  std::vector<OSSL_PARAM> params;
  params.push_back(OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, mut(passphrase.data()),
                                                     passphrase.size()));
  params.push_back(OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, mut(salt.data()), salt.size()));
  params.push_back(OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n));
  params.push_back(OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r));
  params.push_back(OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p));
  return derive("SCRYPT", std::move(params), out_len);
}

SecureBytes hkdf_sha256(ByteView ikm, ByteView salt, ByteView info, std::size_t out_len) {
  std::string digest = "SHA256";
  std::vector<OSSL_PARAM> params;
  params.push_back(OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest.data(), 0));
  params.push_back(OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, mut(ikm.data()), ikm.size()));
  if (!salt.empty())
    params.push_back(OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, mut(salt.data()), salt.size()));
  params.push_back(OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, mut(info.data()), info.size()));
  return derive("HKDF", std::move(params), out_len);
}

}  // namespace cardctl::crypto
