#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <string>

#include "cardctl/crypto.hpp"
#include "cardctl/error.hpp"
#include "openssl_util.hpp"

namespace cardctl::crypto {

SecureBytes evp_mac(const char* name, const char* param_name, std::string_view param_value, ByteView key,
                    ByteView message) {
  MacPtr m(EVP_MAC_fetch(nullptr, name, nullptr));
  if (!m) fail(std::string("loading ") + name);
  MacCtxPtr ctx(EVP_MAC_CTX_new(m.get()));
  std::string value(param_value);
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(param_name, value.data(), 0),
                         OSSL_PARAM_construct_end()};
  if (!ctx || EVP_MAC_init(ctx.get(), key.data(), key.size(), params) != 1 ||
      EVP_MAC_update(ctx.get(), message.data(), message.size()) != 1)
    fail(name);
  SecureBytes out(EVP_MAX_MD_SIZE);
  std::size_t len = 0;
  if (EVP_MAC_final(ctx.get(), out.data(), &len, out.size()) != 1) fail(name);
  out.resize(len);
  return out;
}

namespace {
Bytes mac(const char* name, const char* param_name, const char* param_value, ByteView key, ByteView message) {
  SecureBytes out = evp_mac(name, param_name, param_value, key, message);
  return Bytes(out.begin(), out.end());
}
}  // namespace

Bytes cmac_aes(ByteView key, ByteView message) {
  const char* cipher = key.size() == 16 ? "AES-128-CBC" : key.size() == 24 ? "AES-192-CBC"
                       : key.size() == 32 ? "AES-256-CBC" : nullptr;
  if (cipher == nullptr) throw Error(ErrorKind::usage, "an AES-CMAC key must be 16, 24 or 32 bytes");
  return mac("CMAC", OSSL_MAC_PARAM_CIPHER, cipher, key, message);
}

Bytes hmac_sha256(ByteView key, ByteView data) { return mac("HMAC", OSSL_MAC_PARAM_DIGEST, "SHA256", key, data); }

Bytes sha256(ByteView data) {
  Bytes out(32);
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr) != 1) fail("SHA-256");
  return out;
}

bool equal_ct(ByteView a, ByteView b) noexcept {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

void random_bytes(std::span<std::uint8_t> out) {
  if (!out.empty() && RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) fail("random generator");
}

Bytes random_bytes(std::size_t n) {
  Bytes out(n);
  random_bytes(std::span<std::uint8_t>(out));
  return out;
}

RandomSource system_random() {
  return [](std::span<std::uint8_t> out) { random_bytes(out); };
}

}  // namespace cardctl::crypto
