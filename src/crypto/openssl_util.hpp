// RAII holders for OpenSSL objects and the one way to turn an OpenSSL failure into an Error.
#pragma once

#include <memory>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <string>
#include <string_view>

#include "cardctl/bytes.hpp"

#include "cardctl/bytes.hpp"

namespace cardctl::crypto {

template <class T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const noexcept { Free(p); }
};
using CipherPtr = std::unique_ptr<EVP_CIPHER, Deleter<EVP_CIPHER, EVP_CIPHER_free>>;
using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, Deleter<EVP_CIPHER_CTX, EVP_CIPHER_CTX_free>>;
using MacPtr = std::unique_ptr<EVP_MAC, Deleter<EVP_MAC, EVP_MAC_free>>;
using MacCtxPtr = std::unique_ptr<EVP_MAC_CTX, Deleter<EVP_MAC_CTX, EVP_MAC_CTX_free>>;
using KdfPtr = std::unique_ptr<EVP_KDF, Deleter<EVP_KDF, EVP_KDF_free>>;
using KdfCtxPtr = std::unique_ptr<EVP_KDF_CTX, Deleter<EVP_KDF_CTX, EVP_KDF_CTX_free>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX, EVP_MD_CTX_free>>;

/// Throws Error(crypto) with "what" and OpenSSL's last error reason; clears OpenSSL's error queue.
[[noreturn]] void fail(const std::string& what);
/// OpenSSL's reason for the oldest error in its queue ("" when there is none); clears the queue. For a failure
/// that is the caller's (Error(usage)), where fail() would say crypto.
std::string take_error_reason();
/// A private key from PKCS#8 (or traditional) DER, as the reference card's state file holds it; Error(crypto)
/// when OpenSSL cannot read it.
PkeyPtr read_private_key(ByteView der);

/// One EVP_MAC of message under key: name "CMAC" with param_name OSSL_MAC_PARAM_CIPHER ("AES-256-CBC", ...) or
/// "HMAC" with OSSL_MAC_PARAM_DIGEST ("SHA256", ...). Self-wiping, since a KDF's PRF output is key material.
SecureBytes evp_mac(const char* name, const char* param_name, std::string_view param_value, ByteView key,
                    ByteView message);

}  // namespace cardctl::crypto
