#include "cardctl/keystore.hpp"

#include <algorithm>
#include <optional>

#include "cardctl/error.hpp"
#include "cardctl/files.hpp"
#include "cardctl/phase_time.hpp"
#include "keystore_file.hpp"

namespace cardctl::store {

namespace {
namespace kf = keystore_file;

constexpr std::size_t kKeyLength = 32;
constexpr std::size_t kMinPassphrase = 8;
constexpr std::uint64_t kMinScryptN = 1024;

// The decrypted payload: a sequence of records, each a type byte and its fields. kToken (format 3 only,
// keystore_file.hpp): a master key version in a PKCS#11 token, version (4) | URI length (2) | URI.
enum Record : std::uint8_t {
  kMaster = 'M', kCurrent = 'C', kEscrow = 'E', kAudit = 'A', kFixed = 'F', kInstallation = 'I', kToken = 'T'
};
constexpr std::size_t kInstallationIdLength = 16;
constexpr std::size_t kMaxTokenUri = 4096;

void put_u32(SecureBytes& out, std::uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<std::uint8_t>(v >> s));
}
void put(SecureBytes& out, ByteView b) { out.insert(out.end(), b.begin(), b.end()); }

// A cursor over the decrypted payload that fails cleanly on truncation.
struct Reader {
  ByteView data;
  const std::string& path;
  ByteView take(std::size_t n) {
    if (n > data.size()) kf::damaged(path, "payload truncated");
    ByteView out = data.first(n);
    data = data.subspan(n);
    return out;
  }
  std::uint32_t u32() {
    std::uint32_t v = 0;
    for (auto b : take(4)) v = v << 8 | b;
    return v;
  }
  std::uint8_t u8() { return take(1)[0]; }
  std::uint16_t u16() {
    auto b = take(2);
    return static_cast<std::uint16_t>(b[0] << 8 | b[1]);
  }
};

// A master key's PKCS#11 URI as the keystore records it: RFC 7512's scheme, no PIN (the lifecycle layer parses
// it fully with store::Pkcs11Uri before recording it).
void check_token_uri(const std::string& uri) {
  if (uri.rfind("pkcs11:", 0) != 0 || uri.size() > kMaxTokenUri)
    throw Error(ErrorKind::usage, "a master key in a token is named by a pkcs11: URI (RFC 7512)",
                "e.g. pkcs11:token=cardctl;object=cardctl-master-v1");
  if (uri.find("pin-value") != std::string::npos || uri.find("pin-source") != std::string::npos)
    throw Error(ErrorKind::usage, "a PIN never goes in a master key's PKCS#11 URI",
                "remove pin-value or pin-source; cardctl asks for the token's PIN");
}

void check_passphrase(const Passphrase& passphrase) {
  if (passphrase.size() < kMinPassphrase)
    throw Error(ErrorKind::usage,
                "the keystore passphrase must have at least " + std::to_string(kMinPassphrase) + " characters",
                "choose a longer one: a few words are easy to type and hard to guess");
}

SecureBytes file_key(const Passphrase& passphrase, ByteView salt, const crypto::ScryptParams& scrypt) {
  return crypto::scrypt(passphrase.bytes(), salt, kKeyLength, scrypt);
}

std::string version_text(std::uint32_t v) { return "master key version " + std::to_string(v); }
}  // namespace

Keystore Keystore::create(const std::string& path, const Passphrase& passphrase, const KeystoreOptions& options) {
  if (!options.overwrite && files::exists(path))
    throw Error(ErrorKind::conflict, "a keystore already exists at " + path,
                "cardctl init refuses to overwrite it; use --force only if you mean to destroy every key in it");
  check_passphrase(passphrase);
  if (auto why = kf::scrypt_problem(options.scrypt); !why.empty() || options.scrypt.n < kMinScryptN)
    throw Error(ErrorKind::usage, "unusable scrypt parameters for the keystore: " +
                                      (why.empty() ? "N must be at least " + std::to_string(kMinScryptN) : why),
                "leave --scrypt-n out for the default; when given, N is a power of two of at least " +
                    std::to_string(kMinScryptN));
  if (options.initial_master && options.initial_master->size() != kKeyLength)
    throw Error(ErrorKind::usage, "a master admin key is 32 bytes (64 hex digits)",
                "the file holds the key as 64 hex digits on one line");
  if (options.initial_version == 0)
    throw Error(ErrorKind::usage, "key versions start at 1",
                "give --key-version 1 or higher, or leave it out for the next free version");
  if (options.initial_token_uri) {
    if (options.initial_master) throw Error(ErrorKind::usage, "the first master key is either given bytes or in a token");
    check_token_uri(*options.initial_token_uri);
  }
  Keystore ks;
  ks.path_ = path;
  ks.scrypt_ = options.scrypt;
  ks.salt_ = crypto::random_bytes(kf::kSaltLength);
  ks.file_key_ = file_key(passphrase, ks.salt_, ks.scrypt_);
  ks.current_ = options.initial_master || options.initial_token_uri ? options.initial_version : 1;
  if (options.initial_token_uri)
    ks.token_masters_.emplace(ks.current_, *options.initial_token_uri);
  else
    ks.masters_.emplace(ks.current_, options.initial_master ? options.initial_master->clone()
                                                            : MasterKey(to_secure(crypto::random_bytes(kKeyLength))));
  ks.escrow_ = to_secure(crypto::random_bytes(kKeyLength));
  ks.audit_ = to_secure(crypto::random_bytes(kKeyLength));
  ks.installation_id_ = to_hex(crypto::random_bytes(kInstallationIdLength));
  ks.save();
  return ks;
}

Keystore Keystore::open(const std::string& path, const Passphrase& passphrase) {
  phase_time::Scope timed("keystore");
  Bytes file = files::read_private(path);
  kf::Parts parts = kf::split(path, file);
  SecureBytes key = file_key(passphrase, parts.salt, parts.scrypt);
  return open_with(path, file, key, "wrong passphrase, or the file was modified",
                   "check the passphrase; if it is right, restore the keystore from your backup");
}

Keystore Keystore::open_with_file_key(const std::string& path, ByteView key) {
  phase_time::Scope timed("keystore");
  Bytes file = files::read_private(path);
  if (key.size() != kKeyLength) throw Error(ErrorKind::usage, "a keystore file key is 32 bytes");
  return open_with(path, file, key, "the key from the operator's card is not this keystore's (the card-unlock file "
                                    "belongs to another keystore), or the file was modified",
                   "open it with the passphrase; the system owner then enrols the card again (cardctl operator "
                   "add-card)");
}

Keystore Keystore::open_with(const std::string& path, ByteView file, ByteView key, const std::string& wrong_key,
                             const std::string& hint) {
  kf::Parts parts = kf::split(path, file);
  Keystore ks;
  ks.path_ = path;
  ks.scrypt_ = parts.scrypt;
  ks.salt_.assign(parts.salt.begin(), parts.salt.end());
  ks.file_key_ = to_secure(key);
  SecureBytes plain;
  try {
    plain = crypto::aes_gcm_open(ks.file_key_, parts.nonce, parts.header, parts.sealed);
  } catch (const Error&) {
    throw Error(ErrorKind::wrong_pin, "cannot open the keystore " + path + ": " + wrong_key, hint);
  }
  ks.parse(plain);
  return ks;
}

SecureBytes Keystore::serialise() const {
  SecureBytes out;
  for (const auto& [version, key] : masters_) {
    out.push_back(kMaster);
    put_u32(out, version);
    put(out, key.bytes());
  }
  for (const auto& [version, uri] : token_masters_) {
    out.push_back(kToken);
    put_u32(out, version);
    out.push_back(static_cast<std::uint8_t>(uri.size() >> 8));
    out.push_back(static_cast<std::uint8_t>(uri.size()));
    put(out, view(uri));
  }
  out.push_back(kCurrent);
  put_u32(out, current_);
  out.push_back(kEscrow);
  put(out, escrow_);
  out.push_back(kAudit);
  put(out, audit_);
  if (!installation_id_.empty()) {
    out.push_back(kInstallation);
    put(out, from_hex(installation_id_));
  }
  for (const auto& [name, fk] : fixed_) {
    out.push_back(kFixed);
    out.push_back(static_cast<std::uint8_t>(name.size()));
    put(out, view(name));
    out.push_back(crypto::info(fk.algorithm).piv_id);
    out.push_back(static_cast<std::uint8_t>(fk.key.size()));
    put(out, fk.key.bytes());
  }
  return out;
}

// Only cardctl writes an authenticated payload, so anything unexpected here is a bug or a foreign writer:
// refuse it rather than guess.
void Keystore::parse(ByteView plain) {
  Reader in{plain, path_};
  bool have_current = false;
  while (!in.data.empty()) {
    switch (in.u8()) {
      case kMaster: {
        std::uint32_t v = in.u32();
        if (v == 0 || token_masters_.count(v) || !masters_.emplace(v, MasterKey(in.take(kKeyLength))).second)
          kf::damaged(path_, "bad master key");
        break;
      }
      case kToken: {
        std::uint32_t v = in.u32();
        auto uri = in.take(in.u16());
        std::string text(uri.begin(), uri.end());
        if (v == 0 || masters_.count(v) || text.rfind("pkcs11:", 0) != 0 ||
            !token_masters_.emplace(v, std::move(text)).second)
          kf::damaged(path_, "bad master key in a token");
        break;
      }
      case kCurrent:
        if (have_current) kf::damaged(path_, "two current versions");
        current_ = in.u32();
        have_current = true;
        break;
      case kEscrow:
        if (!escrow_.empty()) kf::damaged(path_, "two escrow keys");
        escrow_ = to_secure(in.take(kKeyLength));
        break;
      case kAudit:
        if (!audit_.empty()) kf::damaged(path_, "two audit keys");
        audit_ = to_secure(in.take(kKeyLength));
        break;
      case kInstallation:
        if (!installation_id_.empty()) kf::damaged(path_, "two installation ids");
        installation_id_ = to_hex(in.take(kInstallationIdLength));
        break;
      case kFixed: {
        auto name_bytes = in.take(in.u8());
        auto alg = crypto::admin_algorithm_from_piv_id(in.u8());
        auto key = in.take(in.u8());
        std::string name(name_bytes.begin(), name_bytes.end());
        if (!alg || key.size() != crypto::info(*alg).key_length || name.empty() ||
            !fixed_.emplace(name, FixedKey{*alg, AdminKey(key)}).second)
          kf::damaged(path_, "bad fixed key");
        break;
      }
      default: kf::damaged(path_, "unknown record");
    }
  }
  if ((masters_.empty() && token_masters_.empty()) || !has_version(current_) || escrow_.size() != kKeyLength || audit_.size() != kKeyLength)
    kf::damaged(path_, "keys missing");
}

void Keystore::save() {
  Bytes nonce = crypto::random_bytes(kf::kNonceLength);  // fresh for every write under this key
  SecureBytes plain = serialise();
  Bytes aad = kf::header(scrypt_, salt_, nonce, plain.size() + kf::kTagLength, !token_masters_.empty());
  Bytes sealed = crypto::aes_gcm_seal(file_key_, nonce, aad, plain);
  files::write_atomic(path_, concat({aad, sealed}), 0600);
}

void Keystore::change_passphrase(const Passphrase& passphrase) {
  check_passphrase(passphrase);
  Bytes salt = crypto::random_bytes(kf::kSaltLength);
  SecureBytes key = file_key(passphrase, salt, scrypt_);
  // The enrolled cards are wrapped for the new key before it replaces the old one (cardctl-operator(1)).
  const std::string cards_path = card_unlock_path(path_);
  std::optional<files::StagedFile> cards;
  if (files::exists(cards_path)) {
    CardUnlockFile file = CardUnlockFile::load(cards_path);
    for (auto& e : file.entries) e = wrap_for_card(key, installation_id_, e.operator_name, e.card_id, e.card_spki);
    file.installation_id = installation_id_;
    cards.emplace(cards_path, file.serialise(), 0600);
  }
  file_key_ = std::move(key);
  salt_ = std::move(salt);
  save();
  if (cards) cards->commit();
}

CardUnlockEntry Keystore::wrap_file_key(const std::string& operator_name, const std::string& card_id,
                                        ByteView card_spki) const {
  return wrap_for_card(file_key_, installation_id_, operator_name, card_id, card_spki);
}

std::vector<std::uint32_t> Keystore::versions() const {
  std::vector<std::uint32_t> out;
  for (const auto& [v, _] : masters_) out.push_back(v);
  for (const auto& [v, _] : token_masters_) out.push_back(v);
  std::sort(out.begin(), out.end());
  return out;
}

const MasterKey& Keystore::master(std::uint32_t version) const {
  auto it = masters_.find(version);
  if (it == masters_.end()) {
    if (auto t = token_masters_.find(version); t != token_masters_.end())
      throw Error(ErrorKind::unsupported,
                  version_text(version) + " is kept in a PKCS#11 token (" + t->second + ") and never leaves it",
                  "derive with the token (lifecycle::Site::master_prf), which asks for the token's PIN");
    throw Error(ErrorKind::not_found, "no " + version_text(version) + " in the keystore " + path_,
                "the card was issued under a key this keystore does not have: import it (cardctl init --import)");
  }
  return it->second;
}

bool Keystore::in_token(std::uint32_t version) const { return token_masters_.count(version) != 0; }

const std::string& Keystore::token_uri(std::uint32_t version) const {
  auto it = token_masters_.find(version);
  if (it == token_masters_.end()) {
    if (masters_.count(version))
      throw Error(ErrorKind::usage, version_text(version) + " is kept in the keystore file, not in a PKCS#11 token");
    throw Error(ErrorKind::not_found, "no " + version_text(version) + " in the keystore " + path_);
  }
  return it->second;
}

std::uint32_t Keystore::next_version() const {
  std::uint32_t last = versions().back();
  if (last == UINT32_MAX) throw Error(ErrorKind::conflict, "no master key version is left after " + std::to_string(last));
  return last + 1;
}

std::uint32_t Keystore::add_token_master(const std::string& uri, std::optional<std::uint32_t> version,
                                         bool make_current) {
  check_token_uri(uri);
  std::uint32_t v = version ? *version : next_version();
  if (v == 0)
    throw Error(ErrorKind::usage, "key versions start at 1",
                "give --key-version 1 or higher, or leave it out for the next free version");
  if (has_version(v))
    throw Error(ErrorKind::conflict, version_text(v) + " already exists in the keystore",
                "give another version: --key-version N");
  for (const auto& [existing, u] : token_masters_)
    if (u == uri)
      throw Error(ErrorKind::conflict, "the key " + uri + " is already " + version_text(existing),
                  "name a new key object for the new version (object=...)");
  token_masters_.emplace(v, uri);
  if (make_current) current_ = v;
  return v;
}

std::uint32_t Keystore::rotate() {
  std::uint32_t next = next_version();
  masters_.emplace(next, MasterKey(to_secure(crypto::random_bytes(kKeyLength))));
  current_ = next;
  return current_;
}

std::uint32_t Keystore::import_master(ByteView key32, std::optional<std::uint32_t> version, bool make_current) {
  if (key32.size() != kKeyLength) throw Error(ErrorKind::usage, "a master admin key is 32 bytes (64 hex digits)");
  std::uint32_t last = versions().back();
  if (!version && last == UINT32_MAX) throw Error(ErrorKind::usage, "give the version to import the key under");
  std::uint32_t v = version.value_or(last + 1);
  if (v == 0)
    throw Error(ErrorKind::usage, "key versions start at 1",
                "give --key-version 1 or higher, or leave it out for the next free version");
  if (has_version(v))
    throw Error(ErrorKind::conflict, version_text(v) + " already exists in the keystore",
                "import it under another version: --key-version N");
  for (const auto& [existing, key] : masters_)
    if (crypto::equal_ct(key.bytes(), key32))
      throw Error(ErrorKind::conflict, "this master key is already in the keystore, as " + version_text(existing),
                  "cards issued under it are served by that version; nothing to import");
  masters_.emplace(v, MasterKey(key32));
  if (make_current) current_ = v;
  return v;
}

void Keystore::add_fixed_key(const std::string& name, crypto::AdminAlgorithm algorithm, ByteView key) {
  if (name.empty() || name.size() > 64) throw Error(ErrorKind::usage, "a fixed key name has 1 to 64 characters");
  if (key.size() != crypto::info(algorithm).key_length)
    throw Error(ErrorKind::usage, std::string("a ") + crypto::info(algorithm).display + " key is " +
                                      std::to_string(crypto::info(algorithm).key_length) + " bytes");
  if (fixed_.count(name)) throw Error(ErrorKind::conflict, "a fixed key named '" + name + "' already exists");
  fixed_.emplace(name, FixedKey{algorithm, AdminKey(key)});
}

const FixedKey& Keystore::fixed_key(const std::string& name) const {
  auto it = fixed_.find(name);
  if (it == fixed_.end()) throw Error(ErrorKind::not_found, "no fixed admin key named '" + name + "' in the keystore");
  return it->second;
}

std::vector<std::string> Keystore::fixed_key_names() const {
  std::vector<std::string> out;
  for (const auto& [n, _] : fixed_) out.push_back(n);
  return out;
}

Keystore Keystore::clone() const {
  Keystore k;
  k.path_ = path_;
  k.file_key_ = file_key_;
  k.salt_ = salt_;
  k.scrypt_ = scrypt_;
  for (const auto& [v, m] : masters_) k.masters_.emplace(v, m.clone());
  k.token_masters_ = token_masters_;
  k.current_ = current_;
  k.escrow_ = escrow_;
  k.audit_ = audit_;
  for (const auto& [name, f] : fixed_) k.fixed_.emplace(name, FixedKey{f.algorithm, f.key.clone()});
  k.installation_id_ = installation_id_;
  return k;
}

}  // namespace cardctl::store
