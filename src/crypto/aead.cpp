#include <openssl/evp.h>

#include "cardctl/crypto.hpp"
#include "cardctl/error.hpp"
#include "openssl_util.hpp"

namespace cardctl::crypto {

namespace {
constexpr std::size_t kTagLength = 16;

CipherCtxPtr gcm_context(ByteView key, ByteView iv, bool encrypt) {
  if (key.size() != 32) throw Error(ErrorKind::usage, "an AES-256-GCM key must be 32 bytes");
  if (iv.size() != 12) throw Error(ErrorKind::usage, "an AES-GCM nonce must be 12 bytes");
  CipherPtr cipher(EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr));
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!cipher || !ctx ||
      EVP_CipherInit_ex2(ctx.get(), cipher.get(), key.data(), iv.data(), encrypt ? 1 : 0, nullptr) != 1)
    fail("initialising AES-256-GCM");
  return ctx;
}

void add_aad(EVP_CIPHER_CTX* ctx, ByteView aad) {
  int len = 0;
  if (!aad.empty() && EVP_CipherUpdate(ctx, nullptr, &len, aad.data(), static_cast<int>(aad.size())) != 1)
    fail("AES-256-GCM associated data");
}
}  // namespace

Bytes aes_gcm_seal(ByteView key, ByteView iv12, ByteView aad, ByteView plaintext) {
  auto ctx = gcm_context(key, iv12, true);
  add_aad(ctx.get(), aad);
  Bytes out(plaintext.size() + kTagLength);
  int len = 0, fin = 0;
  if (EVP_CipherUpdate(ctx.get(), out.data(), &len, plaintext.data(), static_cast<int>(plaintext.size())) != 1 ||
      EVP_CipherFinal_ex(ctx.get(), out.data() + len, &fin) != 1)
    fail("AES-256-GCM encryption");
  std::size_t n = static_cast<std::size_t>(len + fin);
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagLength, out.data() + n) != 1)
    fail("AES-256-GCM tag");
  out.resize(n + kTagLength);
  return out;
}

SecureBytes aes_gcm_open(ByteView key, ByteView iv12, ByteView aad, ByteView sealed) {
  if (sealed.size() < kTagLength)
    throw Error(ErrorKind::crypto, "authentication failed: the sealed data is too short");
  auto ctx = gcm_context(key, iv12, false);
  add_aad(ctx.get(), aad);
  auto body = sealed.first(sealed.size() - kTagLength);
  Bytes tag(sealed.end() - kTagLength, sealed.end());
  SecureBytes out(body.size() + 16);
  int len = 0, fin = 0;
  if (EVP_CipherUpdate(ctx.get(), out.data(), &len, body.data(), static_cast<int>(body.size())) != 1)
    fail("AES-256-GCM decryption");
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagLength, tag.data()) != 1) fail("AES-256-GCM tag");
  if (EVP_CipherFinal_ex(ctx.get(), out.data() + len, &fin) != 1)
    throw Error(ErrorKind::crypto, "authentication failed: wrong key or the data was modified");
  out.resize(static_cast<std::size_t>(len + fin));
  return out;
}

}  // namespace cardctl::crypto
