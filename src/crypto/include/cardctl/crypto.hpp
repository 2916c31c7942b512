// Layer 2: thin wrappers over OpenSSL 3 EVP. No hand-written cipher. Every function throws
// Error(ErrorKind::crypto) when OpenSSL fails, and Error(ErrorKind::usage) on a wrong key/block length.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "cardctl/bytes.hpp"
#include "cardctl/secret.hpp"

namespace cardctl::crypto {

/// The PIV card-management-key (9B) algorithms. Data, not code paths (docs/protocol.md#admin-key-authentication).
enum class AdminAlgorithm { tdes, aes128, aes192, aes256 };

struct AdminAlgorithmInfo {
  AdminAlgorithm algorithm;
  const char* name;        // "tdes", "aes128", "aes192", "aes256" (policy files, --json)
  const char* display;     // "TDES", "AES-128", ... (text output)
  std::uint8_t piv_id;     // SP 800-78-4 algorithm identifier: 03, 08, 0A, 0C
  std::size_t key_length;  // 24, 16, 24, 32
  std::size_t block_length;  // challenge/response length: 8 or 16
};

const AdminAlgorithmInfo& info(AdminAlgorithm a);
/// By name ("tdes", "3des", "aes128", "aes-128", ... any case); nullopt when unknown.
std::optional<AdminAlgorithm> admin_algorithm_from_name(std::string_view name);
/// By PIV algorithm id; 0x00 and 0x01 mean TDES as on real cards. nullopt when unknown.
std::optional<AdminAlgorithm> admin_algorithm_from_piv_id(std::uint8_t id);

/// One block of TDES-EDE3-ECB or AES-ECB, no padding. key and block lengths must match the algorithm.
/// The decrypted block is self-wiping (it may be a witness, SP 800-73-4 Part 2 Appendix A.1).
Bytes encrypt_block(AdminAlgorithm a, ByteView key, ByteView block);
SecureBytes decrypt_block(AdminAlgorithm a, ByteView key, ByteView block);

/// AES-CMAC; key of 16, 24 or 32 bytes.
Bytes cmac_aes(ByteView key, ByteView message);

/// SP 800-108 counter-mode KBKDF as OpenSSL's "KBKDF" does by default: 32-bit counter before the fixed data,
/// fixed data = label || 0x00 || context || L (32-bit big-endian). mac is "CMAC" (cipher AES-<keybits>-CBC
/// chosen from the key length) or "HMAC" (digest e.g. "SHA256").
struct KbkdfParams {
  std::string mac = "CMAC";
  std::string digest = "SHA256";  // for HMAC
  bool use_separator = true;
  bool use_l = true;
};
SecureBytes kbkdf(ByteView key, ByteView label, ByteView context, std::size_t out_len,
                  const KbkdfParams& params = {});
/// A KBKDF PRF: one output block for a message (CMAC: 16 bytes), keyed by something the caller holds, which need
/// not be key bytes in memory: a PKCS#11 token's C_Sign with CKM_AES_CMAC (store::Pkcs11Token::prf()).
using Prf = std::function<SecureBytes(ByteView message)>;
/// The same counter-mode KBKDF with the PRF given (params.mac and params.digest are not used). The one
/// implementation: the key-based kbkdf above calls it with a CMAC or HMAC PRF of its key. Error(usage) for
/// out_len 0 or over 2^32-1 bits; Error(crypto) when the PRF returns nothing; the PRF's own errors pass through.
SecureBytes kbkdf(const Prf& prf, ByteView label, ByteView context, std::size_t out_len,
                  const KbkdfParams& params = {});

/// docs/architecture.md#key-derivation: K_card = KBKDF(CMAC-AES-256, master, "cardctl admin key", card_id + "/" +
/// version, L). Throws Error(crypto) for a TDES key with K1 == K2 or K2 == K3.
/// True for a 24-byte TDES key with K1 == K2 or K2 == K3 (parity bits ignored): such a key is refused.
bool tdes_key_is_weak(ByteView key);

AdminKey derive_admin_key(const MasterKey& master, AdminAlgorithm a, std::string_view card_id,
                          std::uint32_t key_version);
/// The same derivation with the master key's PRF given: it must be CMAC-AES-256 keyed by the 32-byte master key
/// (a key in a PKCS#11 token: store::Pkcs11Token::prf()). The MasterKey overload above calls this one.
AdminKey derive_admin_key(const Prf& master_prf, AdminAlgorithm a, std::string_view card_id,
                          std::uint32_t key_version);
/// The PRF of a 32-byte master key held in memory: CMAC-AES-256 keyed by it. The PRF keeps its own (self-wiping)
/// copy of the key. Error(usage) for a key that is not 32 bytes.
Prf master_key_prf(const MasterKey& master);

struct ScryptParams {
  std::uint64_t n = 1u << 15;
  std::uint32_t r = 8;
  std::uint32_t p = 1;
};
SecureBytes scrypt(ByteView passphrase, ByteView salt, std::size_t out_len, const ScryptParams& params = {});

/// HKDF with SHA-256 (RFC 5869): extract with salt (empty: a zero block), expand with info to out_len bytes.
SecureBytes hkdf_sha256(ByteView ikm, ByteView salt, ByteView info, std::size_t out_len);

/// AES-256-GCM: returns ciphertext || 16-byte tag. open() throws Error(crypto, "authentication failed ...")
/// when the tag does not verify.
Bytes aes_gcm_seal(ByteView key, ByteView iv12, ByteView aad, ByteView plaintext);
SecureBytes aes_gcm_open(ByteView key, ByteView iv12, ByteView aad, ByteView ciphertext_and_tag);

Bytes sha256(ByteView data);
Bytes hmac_sha256(ByteView key, ByteView data);

/// Constant-time equality (CRYPTO_memcmp); false when lengths differ.
bool equal_ct(ByteView a, ByteView b) noexcept;

/// Random source, injectable so tests can pin a challenge.
using RandomSource = std::function<void(std::span<std::uint8_t>)>;
/// OpenSSL RAND_bytes.
RandomSource system_random();
void random_bytes(std::span<std::uint8_t> out);  // RAND_bytes
Bytes random_bytes(std::size_t n);

}  // namespace cardctl::crypto
