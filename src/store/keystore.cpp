#include "cardctl/keystore.hpp"

#include <cstring>

#include "cardctl/error.hpp"
#include "cardctl/files.hpp"

namespace cardctl::store {

namespace {
// File: magic (16) | N (8) | r (4) | p (4) | salt (16) | nonce (12) | AES-256-GCM(payload) || tag.
// The whole header is the associated data, so an edited parameter fails authentication.
constexpr char kMagic[17] = "cardctl-keys-v1\n";
constexpr std::size_t kHeader = 16 + 8 + 4 + 4 + 16 + 12;
constexpr std::size_t kKeyLength = 32;

enum Record : std::uint8_t { kMaster = 'M', kCurrent = 'C', kEscrow = 'E', kAudit = 'A', kFixed = 'F' };

void put_u32(SecureBytes& out, std::uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<std::uint8_t>(v >> s));
}
void put_u64(Bytes& out, std::uint64_t v) {
  for (int s = 56; s >= 0; s -= 8) out.push_back(static_cast<std::uint8_t>(v >> s));
}
std::uint64_t get_be(ByteView b) {
  std::uint64_t v = 0;
  for (auto x : b) v = v << 8 | x;
  return v;
}

[[noreturn]] void damaged(const std::string& path, const std::string& what) {
  throw Error(ErrorKind::io, "the keystore " + path + " is damaged (" + what + ")",
              "restore it from your backup; cardctl never replaces a damaged keystore");
}

// A cursor over the decrypted payload that fails cleanly on truncation.
struct Reader {
  ByteView data;
  const std::string& path;
  ByteView take(std::size_t n) {
    if (n > data.size()) damaged(path, "payload truncated");
    ByteView out = data.first(n);
    data = data.subspan(n);
    return out;
  }
  std::uint32_t u32() { return static_cast<std::uint32_t>(get_be(take(4))); }
  std::uint8_t u8() { return take(1)[0]; }
};
}  // namespace

Keystore Keystore::create(const std::string& path, const Passphrase& passphrase, const KeystoreOptions& options) {
  if (!options.overwrite && files::exists(path))
    throw Error(ErrorKind::conflict, "a keystore already exists at " + path,
                "cardctl init refuses to overwrite it; use --force only if you mean to destroy every key in it");
  if (passphrase.size() < 8) throw Error(ErrorKind::usage, "the keystore passphrase must have at least 8 characters");
  Keystore ks;
  ks.path_ = path;
  ks.scrypt_ = options.scrypt;
  ks.file_key_seed_ = to_secure(passphrase.bytes());
  if (options.initial_master && options.initial_master->size() != kKeyLength)
    throw Error(ErrorKind::usage, "a master admin key is 32 bytes (64 hex digits)");
  if (options.initial_version == 0) throw Error(ErrorKind::usage, "key versions start at 1");
  ks.current_ = options.initial_master ? options.initial_version : 1;
  ks.masters_.emplace(ks.current_, MasterKey(to_secure(options.initial_master ? *options.initial_master
                                                                              : crypto::random_bytes(kKeyLength))));
  ks.escrow_ = to_secure(crypto::random_bytes(kKeyLength));
  ks.audit_ = to_secure(crypto::random_bytes(kKeyLength));
  ks.save();
  return ks;
}

Keystore Keystore::open(const std::string& path, const Passphrase& passphrase) {
  Bytes file = files::read(path);
  if (file.size() < kHeader + 16) damaged(path, "file truncated");
  if (std::memcmp(file.data(), kMagic, 16) != 0) damaged(path, "not a cardctl keystore");
  ByteView f(file);
  Keystore ks;
  ks.path_ = path;
  ks.scrypt_.n = get_be(f.subspan(16, 8));
  ks.scrypt_.r = static_cast<std::uint32_t>(get_be(f.subspan(24, 4)));
  ks.scrypt_.p = static_cast<std::uint32_t>(get_be(f.subspan(28, 4)));
  if (ks.scrypt_.n < 2 || ks.scrypt_.n > (1u << 24) || (ks.scrypt_.n & (ks.scrypt_.n - 1)) != 0 || ks.scrypt_.r == 0 ||
      ks.scrypt_.r > 64 || ks.scrypt_.p == 0 || ks.scrypt_.p > 16)
    damaged(path, "bad key-derivation parameters");
  ByteView salt = f.subspan(32, 16), nonce = f.subspan(48, 12);
  SecureBytes key = crypto::scrypt(passphrase.bytes(), salt, 32, ks.scrypt_);
  SecureBytes plain;
  try {
    plain = crypto::aes_gcm_open(key, nonce, f.first(kHeader), f.subspan(kHeader));
  } catch (const Error&) {
    throw Error(ErrorKind::crypto, "cannot open the keystore " + path + ": wrong passphrase, or the file was modified",
                "check the passphrase; if it is right, restore the keystore from your backup");
  }
  ks.file_key_seed_ = to_secure(passphrase.bytes());
  ks.parse(plain);
  return ks;
}

SecureBytes Keystore::serialise() const {
  SecureBytes out;
  for (const auto& [version, key] : masters_) {
    out.push_back(kMaster);
    put_u32(out, version);
    out.insert(out.end(), key.bytes().begin(), key.bytes().end());
  }
  out.push_back(kCurrent);
  put_u32(out, current_);
  out.push_back(kEscrow);
  out.insert(out.end(), escrow_.begin(), escrow_.end());
  out.push_back(kAudit);
  out.insert(out.end(), audit_.begin(), audit_.end());
  for (const auto& [name, fk] : fixed_) {
    out.push_back(kFixed);
    out.push_back(static_cast<std::uint8_t>(name.size()));
    out.insert(out.end(), name.begin(), name.end());
    out.push_back(crypto::info(fk.algorithm).piv_id);
    out.push_back(static_cast<std::uint8_t>(fk.key.size()));
    out.insert(out.end(), fk.key.bytes().begin(), fk.key.bytes().end());
  }
  return out;
}

void Keystore::parse(ByteView plain) {
  Reader in{plain, path_};
  while (!in.data.empty()) {
    switch (in.u8()) {
      case kMaster: {
        std::uint32_t v = in.u32();
        masters_.emplace(v, MasterKey(in.take(kKeyLength)));
        break;
      }
      case kCurrent: current_ = in.u32(); break;
      case kEscrow: escrow_ = to_secure(in.take(kKeyLength)); break;
      case kAudit: audit_ = to_secure(in.take(kKeyLength)); break;
      case kFixed: {
        auto name_bytes = in.take(in.u8());
        auto alg = crypto::admin_algorithm_from_piv_id(in.u8());
        auto key = in.take(in.u8());
        if (!alg || key.size() != crypto::info(*alg).key_length) damaged(path_, "bad fixed key");
        fixed_.emplace(std::string(name_bytes.begin(), name_bytes.end()), FixedKey{*alg, AdminKey(key)});
        break;
      }
      default: damaged(path_, "unknown record");
    }
  }
  if (masters_.empty() || !masters_.count(current_) || escrow_.size() != kKeyLength || audit_.size() != kKeyLength)
    damaged(path_, "keys missing");
}

void Keystore::save() {
  Bytes header(kMagic, kMagic + 16);
  put_u64(header, scrypt_.n);
  for (std::uint32_t v : {scrypt_.r, scrypt_.p})
    for (int s = 24; s >= 0; s -= 8) header.push_back(static_cast<std::uint8_t>(v >> s));
  Bytes salt = crypto::random_bytes(16), nonce = crypto::random_bytes(12);
  header.insert(header.end(), salt.begin(), salt.end());
  header.insert(header.end(), nonce.begin(), nonce.end());
  SecureBytes key = crypto::scrypt(file_key_seed_, salt, 32, scrypt_);
  SecureBytes plain = serialise();
  Bytes sealed = crypto::aes_gcm_seal(key, nonce, header, plain);
  files::write_atomic(path_, concat({header, sealed}), 0600);
}

void Keystore::change_passphrase(const Passphrase& passphrase) {
  if (passphrase.size() < 8) throw Error(ErrorKind::usage, "the keystore passphrase must have at least 8 characters");
  file_key_seed_ = to_secure(passphrase.bytes());
  save();
}

std::vector<std::uint32_t> Keystore::versions() const {
  std::vector<std::uint32_t> out;
  for (const auto& [v, _] : masters_) out.push_back(v);
  return out;
}

const MasterKey& Keystore::master(std::uint32_t version) const {
  auto it = masters_.find(version);
  if (it == masters_.end())
    throw Error(ErrorKind::not_found, "no master key version " + std::to_string(version) + " in the keystore " + path_,
                "the card was issued under a key this keystore does not have: import it (cardctl init --import)");
  return it->second;
}

std::uint32_t Keystore::rotate() {
  std::uint32_t next = masters_.rbegin()->first + 1;
  masters_.emplace(next, MasterKey(to_secure(crypto::random_bytes(kKeyLength))));
  current_ = next;
  return next;
}

std::uint32_t Keystore::import_master(ByteView key32, std::optional<std::uint32_t> version, bool make_current) {
  if (key32.size() != kKeyLength) throw Error(ErrorKind::usage, "a master admin key is 32 bytes (64 hex digits)");
  std::uint32_t v = version.value_or(masters_.rbegin()->first + 1);
  if (v == 0) throw Error(ErrorKind::usage, "key versions start at 1");
  if (masters_.count(v))
    throw Error(ErrorKind::conflict, "master key version " + std::to_string(v) + " already exists in the keystore",
                "import it under another version: --key-version N");
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

}  // namespace cardctl::store
