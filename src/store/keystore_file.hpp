// The keystore file's outer layer (docs/architecture.md#keystore): a clear header, which is also the AEAD associated
// data, and the AES-256-GCM sealed payload. Format 2:
//   magic "cardctl-keys-v2\n" (16) | scrypt N (8) | r (4) | p (4) | salt (16) | nonce (12) | sealed length (4)
//   | sealed payload (ciphertext || 16-byte tag)
// all integers big-endian. Format 1 (read only) has no sealed length, so a truncation there looks like an edit.
// Format 3 has format 2's layout; its payload may hold master keys kept in a PKCS#11 token (by URI), which a
// cardctl that reads only formats 1 and 2 must refuse as a newer format rather than call damaged. A keystore
// without such keys is still written as format 2.
#pragma once

#include <cstdint>
#include <string>

#include "cardctl/bytes.hpp"
#include "cardctl/crypto.hpp"

namespace cardctl::store::keystore_file {

inline constexpr std::size_t kSaltLength = 16;
inline constexpr std::size_t kNonceLength = 12;  // SP 800-38D §8.2.2: a random 96-bit IV
inline constexpr std::size_t kTagLength = 16;

struct Parts {
  crypto::ScryptParams scrypt;
  ByteView salt, nonce;
  ByteView header;  // the associated data
  ByteView sealed;
};

/// Splits a keystore file (the view must outlive the result). Error(io) "the keystore PATH is damaged (...)"
/// for a truncated file, trailing bytes, another file type or impossible key-derivation parameters.
Parts split(const std::string& path, ByteView file);

/// The header of a format-2 (or, with token_masters, format-3) file whose sealed payload has sealed_length bytes.
Bytes header(const crypto::ScryptParams& scrypt, ByteView salt, ByteView nonce, std::size_t sealed_length,
             bool token_masters = false);

/// Why these scrypt parameters are unusable (RFC 7914 §2: N a power of two above 1; memory 128·r·N and work
/// 128·r·N·p bounded here to 1 GiB, OpenSSL's own memory limit), or "" when they are fine.
std::string scrypt_problem(const crypto::ScryptParams& scrypt);

[[noreturn]] void damaged(const std::string& path, const std::string& what);

}  // namespace cardctl::store::keystore_file
