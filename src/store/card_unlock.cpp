#include "cardctl/card_unlock.hpp"

#include <algorithm>
#include <cctype>
#include <sstream>

#include "cardctl/asym.hpp"
#include "cardctl/crypto.hpp"
#include "cardctl/error.hpp"
#include "cardctl/files.hpp"

namespace cardctl::store {

namespace {
// The file, line by line (fields separated by one space; names and card ids have no spaces):
//   cardctl-keystore-cards-v1
//   installation <32 hex digits>
//   card <operator> <card id> <card SPKI hex> <ephemeral point hex> <nonce hex> <wrapped hex>   (0 or more)
//   end <number of card lines>
// The last line makes a truncation visible; anything edited inside an entry fails its AEAD tag when it is used.
constexpr const char* kMagic = "cardctl-keystore-cards-v1";
constexpr const char* kInfo = "cardctl keystore unlock";
constexpr std::size_t kNonceLength = 12;  // SP 800-38D §8.2.2
constexpr std::size_t kKeyLength = 32;
constexpr std::size_t kTagLength = 16;
constexpr std::size_t kMaxName = 64;
constexpr std::size_t kMaxSpki = 256;  // a P-384 SPKI is 120 bytes

[[noreturn]] void damaged(const std::string& path, const std::string& what) {
  throw Error(ErrorKind::io, "the card-unlock file " + path + " is damaged (" + what + ")",
              "restore it from your backup, or have the system owner enrol the cards again with cardctl operator "
              "add-card (after moving the damaged file away); the keystore still opens with its passphrase");
}

bool printable_word(const std::string& s) {
  return !s.empty() && s.size() <= kMaxName &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return c > 0x20 && c < 0x7f; });
}

Bytes hex_field(const std::string& path, const std::string& text, std::size_t min, std::size_t max) {
  if (text.size() % 2 != 0 || text.size() / 2 < min || text.size() / 2 > max ||
      !std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isxdigit(c) != 0; }))
    damaged(path, "bad field in a card entry");
  return from_hex(text);
}

void put_field(Bytes& out, std::string_view field) {
  const auto n = static_cast<std::uint32_t>(field.size());
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<std::uint8_t>(n >> s));
  out.insert(out.end(), field.begin(), field.end());
}

// The associated data: every field of the entry but the nonce and the sealed key, each length-prefixed.
Bytes associated_data(const CardUnlockEntry& e, const std::string& installation_id) {
  Bytes aad;
  put_field(aad, kInfo);
  put_field(aad, installation_id);
  put_field(aad, e.operator_name);
  put_field(aad, e.card_id);
  put_field(aad, std::string_view(reinterpret_cast<const char*>(e.card_spki.data()), e.card_spki.size()));
  put_field(aad, std::string_view(reinterpret_cast<const char*>(e.ephemeral_point.data()), e.ephemeral_point.size()));
  return aad;
}

SecureBytes key_encryption_key(ByteView shared_secret) {
  return crypto::hkdf_sha256(shared_secret, {}, view(kInfo), kKeyLength);
}
}  // namespace

std::string card_unlock_path(const std::string& keystore_path) { return keystore_path + ".cards"; }

CardUnlockFile CardUnlockFile::load(const std::string& path) {
  CardUnlockFile file;
  if (!files::exists(path)) return file;
  Bytes raw = files::read_private(path);
  std::string text(raw.begin(), raw.end());
  if (text.empty()) damaged(path, "the file is empty");
  if (text.back() != '\n') damaged(path, "file truncated");
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);
  if (line != kMagic) damaged(path, std::string(kMagic).rfind(line, 0) == 0 ? "file truncated" : "not a card-unlock file");
  bool ended = false;
  while (std::getline(in, line)) {
    if (ended) damaged(path, "unexpected lines after the end");
    std::istringstream words(line);
    std::vector<std::string> w;
    for (std::string x; words >> x;) w.push_back(x);
    if (w.empty()) damaged(path, "an empty line");
    if (w[0] == "installation" && w.size() == 2 && file.installation_id.empty() && file.entries.empty()) {
      if (w[1].size() != 32 || !std::all_of(w[1].begin(), w[1].end(), [](unsigned char c) { return std::isxdigit(c); }))
        damaged(path, "bad installation id");
      file.installation_id = w[1];
    } else if (w[0] == "card" && w.size() == 7 && !file.installation_id.empty()) {
      CardUnlockEntry e;
      e.operator_name = w[1];
      e.card_id = w[2];
      if (!printable_word(e.operator_name) || !printable_word(e.card_id)) damaged(path, "bad name in a card entry");
      e.card_spki = hex_field(path, w[3], 1, kMaxSpki);
      e.ephemeral_point = hex_field(path, w[4], 65, 97);
      e.nonce = hex_field(path, w[5], kNonceLength, kNonceLength);
      e.wrapped = hex_field(path, w[6], kKeyLength + kTagLength, kKeyLength + kTagLength);
      file.entries.push_back(std::move(e));
    } else if (w[0] == "end" && w.size() == 2 && !file.installation_id.empty()) {
      if (w[1] != std::to_string(file.entries.size())) damaged(path, "entries missing");
      ended = true;
    } else {
      // The file may have been tampered with: its words are named only when they are plain printable text.
      damaged(path, printable_word(w[0]) && w[0].size() <= 32 ? "unexpected line '" + w[0] + "'" : "unexpected line");
    }
  }
  if (!ended) damaged(path, "file truncated");
  return file;
}

Bytes CardUnlockFile::serialise() const {
  std::string out = std::string(kMagic) + "\ninstallation " + installation_id + "\n";
  for (const auto& e : entries)
    out += "card " + e.operator_name + " " + e.card_id + " " + to_hex(e.card_spki) + " " + to_hex(e.ephemeral_point) +
           " " + to_hex(e.nonce) + " " + to_hex(e.wrapped) + "\n";
  out += "end " + std::to_string(entries.size()) + "\n";
  return to_bytes(out);
}

void CardUnlockFile::save(const std::string& path) const { files::write_atomic(path, serialise(), 0600); }

std::vector<CardUnlockEntry> CardUnlockFile::for_card(const std::string& card_id) const {
  std::vector<CardUnlockEntry> out;
  for (const auto& e : entries)
    if (e.card_id == card_id) out.push_back(e);
  return out;
}

std::string CardUnlockFile::operator_of(const std::string& card_id) const {
  for (const auto& e : entries)
    if (e.card_id == card_id) return e.operator_name;
  return "";
}

void CardUnlockFile::put(CardUnlockEntry e) {
  for (auto& x : entries)
    if (x.operator_name == e.operator_name && x.card_id == e.card_id) {
      x = std::move(e);
      return;
    }
  entries.push_back(std::move(e));
}

std::vector<std::string> CardUnlockFile::remove_operator(const std::string& operator_name) {
  std::vector<std::string> removed;
  std::erase_if(entries, [&](const CardUnlockEntry& e) {
    if (e.operator_name != operator_name) return false;
    removed.push_back(e.card_id);
    return true;
  });
  return removed;
}

CardUnlockEntry wrap_for_card(ByteView file_key, const std::string& installation_id, const std::string& operator_name,
                              const std::string& card_id, ByteView card_spki) {
  if (file_key.size() != kKeyLength) throw Error(ErrorKind::usage, "a keystore file key is 32 bytes");
  if (!printable_word(operator_name) || !printable_word(card_id))
    throw Error(ErrorKind::usage, "an operator name and a card id are 1 to 64 printable characters without spaces");
  crypto::PublicKeyInfo card = crypto::public_key_info(card_spki);
  if (card.algorithm != crypto::KeyAlgorithm::eccp256 && card.algorithm != crypto::KeyAlgorithm::eccp384)
    throw Error(ErrorKind::unsupported,
                std::string("the card's key-management key is ") + crypto::name(card.algorithm) +
                    "; opening the keystore needs a P-256 or P-384 key (ECDH)");
  auto ephemeral = crypto::KeyPair::generate(card.algorithm);
  CardUnlockEntry e;
  e.operator_name = operator_name;
  e.card_id = card_id;
  e.card_spki.assign(card_spki.begin(), card_spki.end());
  e.ephemeral_point = ephemeral.ec_point();
  e.nonce = crypto::random_bytes(kNonceLength);
  const SecureBytes kek = key_encryption_key(ephemeral.ecdh(card.ec_point));
  e.wrapped = crypto::aes_gcm_seal(kek, e.nonce, associated_data(e, installation_id), file_key);
  return e;
}

SecureBytes unwrap_from_card(const CardUnlockEntry& e, const std::string& installation_id, ByteView shared_secret) {
  const SecureBytes kek = key_encryption_key(shared_secret);
  try {
    SecureBytes key = crypto::aes_gcm_open(kek, e.nonce, associated_data(e, installation_id), e.wrapped);
    if (key.size() != kKeyLength) throw Error(ErrorKind::crypto, "bad key length");
    return key;
  } catch (const Error&) {
    throw Error(ErrorKind::auth_failed,
                "card " + e.card_id + " does not open its entry for operator " + e.operator_name +
                    " (its slot 9D key was replaced, or the entry was edited)",
                "the system owner enrols the card again: cardctl operator add-card " + e.operator_name +
                    " --card-reader READER");
  }
}

}  // namespace cardctl::store
