// Layer 8: opening the keystore with an operator's card (cardctl-operator(1), UNLOCKING WITH A CARD). Beside the
// keystore DIR/keystore, the file DIR/keystore.cards holds one entry per (operator, card): the keystore's file key
// wrapped for the card's key-management key (PIV slot 9D, P-256 or P-384). Wrapping needs only the card's public
// key; unwrapping needs the card, which does the ECDH (SP 800-73-4 Part 2 §3.2.4, key establishment) once its
// PIN is verified:
//   shared = ECDH(ephemeral private key, card public key)   (the card: ECDH(card private key, ephemeral point))
//   kek    = HKDF-SHA256(shared, salt empty, info "cardctl keystore unlock", 32 bytes)
//   wrapped = AES-256-GCM(kek, nonce, aad, file key), aad binding installation id, operator, card id, the card's
//             public key and the ephemeral point.
// The file is text, one line per entry, written 0600 atomically; a truncated or edited file is Error(io).
#pragma once

#include <string>
#include <vector>

#include "cardctl/bytes.hpp"

namespace cardctl::store {

struct CardUnlockEntry {
  std::string operator_name;
  std::string card_id;
  Bytes card_spki;        // the card's 9D public key, SubjectPublicKeyInfo DER
  Bytes ephemeral_point;  // uncompressed point of the one-time key pair made when wrapping
  Bytes nonce;            // 12 bytes
  Bytes wrapped;          // the file key sealed: 32 bytes and the 16-byte tag
};

/// The keystore.cards file: the installation its entries belong to, and the entries.
struct CardUnlockFile {
  std::string installation_id;  // the keystore's (Keystore::installation_id())
  std::vector<CardUnlockEntry> entries;

  /// Reads path: an empty file set (no installation id, no entries) when it does not exist. Error(io) "the
  /// card-unlock file PATH is damaged (...)" for a truncated, edited or foreign file; Error(io) "chmod 600" when
  /// group or others may read or write it.
  static CardUnlockFile load(const std::string& path);
  /// The file's text.
  Bytes serialise() const;
  /// Writes atomically, mode 0600 (with no entries too: the file then says so).
  void save(const std::string& path) const;

  /// The entries of card_id.
  std::vector<CardUnlockEntry> for_card(const std::string& card_id) const;
  /// The operator the card is enrolled for, or "" when none.
  std::string operator_of(const std::string& card_id) const;
  /// Adds e, replacing the entry of the same operator and card.
  void put(CardUnlockEntry e);
  /// Removes the operator's entries; returns their card ids.
  std::vector<std::string> remove_operator(const std::string& operator_name);
};

/// DIR/keystore.cards for the keystore DIR/keystore.
std::string card_unlock_path(const std::string& keystore_path);

/// Wraps file_key (32 bytes) for the card whose 9D public key is card_spki. Error(unsupported) when that key is
/// not P-256 or P-384; Error(wrong_data) when card_spki is not a public key.
CardUnlockEntry wrap_for_card(ByteView file_key, const std::string& installation_id, const std::string& operator_name,
                              const std::string& card_id, ByteView card_spki);

/// The file key from an entry, given the card's shared secret ECDH(card key, e.ephemeral_point). Error(crypto)
/// when it does not open the entry: another card key, or the entry or its installation id was edited.
SecureBytes unwrap_from_card(const CardUnlockEntry& e, const std::string& installation_id, ByteView shared_secret);

}  // namespace cardctl::store
