// Layer 8: the keystore (docs/architecture.md#keystore): master admin keys by version, the PUK escrow key, the audit
// HMAC key and named fixed admin keys, in one AES-256-GCM file whose key comes from scrypt over a passphrase. Mode
// 0600, written atomically. A wrong passphrase, a truncated or edited file is a clear error, never a default.
// A master key version may instead be a key object in a PKCS#11 token: the keystore then holds only its RFC 7512
// URI (docs/architecture.md#master-keys-in-a-pkcs11-token), and the key never leaves the token.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cardctl/card_unlock.hpp"
#include "cardctl/crypto.hpp"
#include "cardctl/secret.hpp"

namespace cardctl::store {

struct FixedKey {
  crypto::AdminAlgorithm algorithm;
  AdminKey key;
};

struct KeystoreOptions {
  bool overwrite = false;
  crypto::ScryptParams scrypt{};  // strong by default (N = 2^15, r = 8, p = 1); tests use N = 1024, the least allowed
  /// Start from this master key (migration from another system) instead of a random one. Not owned: it must
  /// outlive create(), which keeps its own (self-wiping) copy; the caller's MasterKey wipes itself.
  const MasterKey* initial_master = nullptr;
  std::uint32_t initial_version = 1;
  /// The first master key (initial_version) is the key object this PKCS#11 URI names, not key bytes: the caller
  /// makes it in the token (lifecycle). Not with initial_master.
  std::optional<std::string> initial_token_uri;
};

class Keystore {
 public:
  /// Creates a new keystore with a fresh master key (version 1), escrow key and audit key. Error(conflict)
  /// when the file exists and !options.overwrite; Error(usage) for a passphrase under 8 characters or scrypt
  /// parameters that are too weak (N < 1024) or too costly (over 1 GiB).
  static Keystore create(const std::string& path, const Passphrase& passphrase, const KeystoreOptions& options = {});
  /// Opens and decrypts. Error(crypto) "wrong passphrase, or the file was modified" when authentication fails;
  /// Error(io) "the keystore PATH is damaged (file truncated ...)" for a short, overlong or foreign file;
  /// Error(unsupported) for a newer format; Error(not_found) when missing; Error(io) "chmod 600" when group or
  /// others may read or write it.
  static Keystore open(const std::string& path, const Passphrase& passphrase);
  /// Opens with the file's AES-256-GCM key itself, as an operator's card unwraps it (card_unlock.hpp), instead of
  /// the passphrase. The same errors as open(), the wrong key saying so.
  static Keystore open_with_file_key(const std::string& path, ByteView file_key);

  /// Re-encrypts (a fresh nonce every time) and writes atomically, mode 0600.
  void save();
  /// A new salt and key for the file, then save(). Only the key derived from the passphrase is kept in memory.
  /// The entries of keystore.cards (card_unlock_path(path())) are wrapped again for the new key, so the enrolled
  /// cards keep opening it: written and synced before the keystore, renamed in after it.
  void change_passphrase(const Passphrase& passphrase);
  /// An entry of keystore.cards for the card whose slot 9D public key is card_spki: the current file key wrapped
  /// for it (only the public key is needed, not the card). Errors as store::wrap_for_card.
  CardUnlockEntry wrap_file_key(const std::string& operator_name, const std::string& card_id, ByteView card_spki) const;
  const crypto::ScryptParams& scrypt_params() const { return scrypt_; }

  std::uint32_t current_version() const { return current_; }
  std::vector<std::uint32_t> versions() const;
  /// Error(not_found) "no master key version N in the keystore"; Error(unsupported) for a version that is in a
  /// PKCS#11 token (in_token), whose bytes cardctl never has.
  const MasterKey& master(std::uint32_t version) const;
  /// Whether the version is a key object in a PKCS#11 token (false for a version the keystore does not have).
  bool in_token(std::uint32_t version) const;
  /// The RFC 7512 URI of a version in a token; Error(not_found) for a missing version, Error(usage) for one whose
  /// bytes are in the file.
  const std::string& token_uri(std::uint32_t version) const;
  /// Records a master key kept in a PKCS#11 token under uri ("pkcs11:..." without a PIN; the caller has made or
  /// checked the key). Without a version: the next one. Error(conflict) for a version in use or a URI already
  /// recorded under another version; Error(usage) for something that is not a pkcs11: URI.
  std::uint32_t add_token_master(const std::string& uri, std::optional<std::uint32_t> version,
                                 bool make_current = true);
  /// A new random master key (in the file) becomes current; older versions stay for cards issued under them.
  std::uint32_t rotate();
  /// Imports a 32-byte master key (migration). Without a version: the next one. Error(conflict) for a version
  /// in use or a key already held under another version.
  std::uint32_t import_master(ByteView key32, std::optional<std::uint32_t> version, bool make_current = true);

  /// Random at creation, 32 hex digits; the inventory records the same id, so that a keystore is only ever
  /// used with its own installation. Empty for a keystore made before ids existed.
  const std::string& installation_id() const { return installation_id_; }

  ByteView escrow_key() const { return escrow_; }
  ByteView audit_key() const { return audit_; }

  void add_fixed_key(const std::string& name, crypto::AdminAlgorithm algorithm, ByteView key);
  const FixedKey& fixed_key(const std::string& name) const;
  std::vector<std::string> fixed_key_names() const;

  const std::string& path() const { return path_; }

  /// A copy in memory (its secrets wipe themselves too), for a second worker of the same process.
  Keystore clone() const;

 private:
  Keystore() = default;
  std::uint32_t next_version() const;
  bool has_version(std::uint32_t version) const { return masters_.count(version) || token_masters_.count(version); }
  static Keystore open_with(const std::string& path, ByteView file, ByteView file_key, const std::string& wrong_key,
                            const std::string& hint);
  SecureBytes serialise() const;
  void parse(ByteView plain);
  std::string path_;
  SecureBytes file_key_;  // scrypt(passphrase, salt_): the AES-256-GCM key of the file
  Bytes salt_;
  crypto::ScryptParams scrypt_{};
  std::map<std::uint32_t, MasterKey> masters_;
  std::map<std::uint32_t, std::string> token_masters_;  // versions in a PKCS#11 token: their URIs
  std::uint32_t current_ = 0;
  SecureBytes escrow_, audit_;
  std::map<std::string, FixedKey> fixed_;
  std::string installation_id_;
};

}  // namespace cardctl::store
