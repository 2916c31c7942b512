#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
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

// OSSL_PARAM wants non-const pointers; the KDF only reads them.
void* mut(const void* p) { return const_cast<void*>(p); }
}  // namespace

SecureBytes kbkdf(ByteView key, ByteView label, ByteView context, std::size_t out_len, const KbkdfParams& p) {
  std::string mode = "COUNTER";
  std::string mac = p.mac;
  std::string cipher;
  std::string digest = p.digest;
  int use_l = p.use_l ? 1 : 0;
  int use_sep = p.use_separator ? 1 : 0;
  std::vector<OSSL_PARAM> params;
  params.push_back(OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_MODE, mode.data(), 0));
  params.push_back(OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_MAC, mac.data(), 0));
  if (mac == "CMAC") {
    cipher = cmac_cipher_for(key.size());
    params.push_back(OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_CIPHER, cipher.data(), 0));
  } else {
    params.push_back(OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest.data(), 0));
  }
  params.push_back(OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, mut(key.data()), key.size()));
  // OpenSSL calls the label "salt" and the context "info".
  params.push_back(OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, mut(label.data()), label.size()));
  params.push_back(OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, mut(context.data()), context.size()));
  params.push_back(OSSL_PARAM_construct_int(OSSL_KDF_PARAM_KBKDF_USE_L, &use_l));
  params.push_back(OSSL_PARAM_construct_int(OSSL_KDF_PARAM_KBKDF_USE_SEPARATOR, &use_sep));
  return derive("KBKDF", std::move(params), out_len);
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

AdminKey derive_admin_key(const MasterKey& master, AdminAlgorithm a, std::string_view card_id,
                          std::uint32_t key_version) {
  if (master.size() != 32) throw Error(ErrorKind::usage, "a master admin key must be 32 bytes");
  std::string context = std::string(card_id) + "/" + std::to_string(key_version);
  // SP 800-108 KBKDF, counter mode, PRF CMAC-AES-256, label "cardctl admin key" (docs/architecture.md#key-derivation).
  SecureBytes key = kbkdf(master.bytes(), view("cardctl admin key"), view(context), info(a).key_length);
  if (a == AdminAlgorithm::tdes && tdes_key_is_weak(key))
    throw Error(ErrorKind::crypto,
                "the TDES admin key derived for card " + std::string(card_id) + " version " +
                    std::to_string(key_version) + " has two equal parts and cannot be used",
                "issue the card with the next key version (cardctl init --rotate) or an AES admin key");
  return AdminKey(std::move(key));
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
