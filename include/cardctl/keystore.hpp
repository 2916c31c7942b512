// Layer 8: the keystore (DESIGN.md §4): master admin keys by version, the PUK escrow key, the audit HMAC key and
// named fixed admin keys, in one AES-256-GCM file whose key comes from scrypt over a passphrase. Mode 0600,
// written atomically. A wrong passphrase, a truncated or edited file is a clear error, never a default.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cardctl/crypto.hpp"
#include "cardctl/secret.hpp"

namespace cardctl::store {

struct FixedKey {
  crypto::AdminAlgorithm algorithm;
  AdminKey key;
};

struct KeystoreOptions {
  bool overwrite = false;
  crypto::ScryptParams scrypt{};  // strong by default; tests use smaller N
  /// Start from this master key (migration from another system) instead of a random one.
  std::optional<Bytes> initial_master;
  std::uint32_t initial_version = 1;
};

class Keystore {
 public:
  /// Creates a new keystore with a fresh master key (version 1), escrow key and audit key. Error(conflict)
  /// when the file exists and !options.overwrite.
  static Keystore create(const std::string& path, const Passphrase& passphrase, const KeystoreOptions& options = {});
  /// Opens and decrypts. Error(crypto) for a wrong passphrase or an edited file; Error(io) for a damaged one;
  /// Error(not_found) when missing.
  static Keystore open(const std::string& path, const Passphrase& passphrase);

  /// Re-encrypts and writes atomically (new salt and nonce every time).
  void save();
  void change_passphrase(const Passphrase& passphrase);

  std::uint32_t current_version() const { return current_; }
  std::vector<std::uint32_t> versions() const;
  /// Error(not_found) "no master key version N in the keystore".
  const MasterKey& master(std::uint32_t version) const;
  /// A new random master key becomes current; older versions stay for cards issued under them.
  std::uint32_t rotate();
  /// Imports a 32-byte master key (migration). Without a version: the next one. Refuses a version in use.
  std::uint32_t import_master(ByteView key32, std::optional<std::uint32_t> version, bool make_current = true);

  ByteView escrow_key() const { return escrow_; }
  ByteView audit_key() const { return audit_; }

  void add_fixed_key(const std::string& name, crypto::AdminAlgorithm algorithm, ByteView key);
  const FixedKey& fixed_key(const std::string& name) const;
  std::vector<std::string> fixed_key_names() const;

  const std::string& path() const { return path_; }

 private:
  Keystore() = default;
  SecureBytes serialise() const;
  void parse(ByteView plain);
  std::string path_;
  SecureBytes file_key_seed_;  // the passphrase, kept only until save() in this process
  crypto::ScryptParams scrypt_{};
  std::map<std::uint32_t, MasterKey> masters_;
  std::uint32_t current_ = 0;
  SecureBytes escrow_, audit_;
  std::map<std::string, FixedKey> fixed_;
};

}  // namespace cardctl::store
