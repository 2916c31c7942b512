// The reference card's state: what a PIV card keeps across power cycles (persistent) and what it keeps only for
// the current session (volatile, cleared by reset()). Both are saved, because the in-process sim: transport
// reloads the file on every connection and a challenge must survive SCARD_LEAVE_CARD
// (docs/architecture.md#reference-card).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "cardctl/asym.hpp"
#include "cardctl/bytes.hpp"
#include "cardctl/crypto.hpp"
#include "cardctl/sim_card.hpp"

namespace cardctl::sim {

struct Reference {  // a PIN or PUK: 8 bytes, FF-padded
  SecureBytes value;
  int max = 3;
  int left = 3;
  bool is_default = true;
};

/// Where a slot's key came from, as GET METADATA (tag 03) reports it; ATTEST refuses imported keys.
inline constexpr std::uint8_t kOriginGenerated = 0x01;
inline constexpr std::uint8_t kOriginImported = 0x02;

struct SlotKey {
  crypto::KeyAlgorithm algorithm{};
  std::uint8_t pin_policy = 0;
  std::uint8_t touch_policy = 0;
  std::uint8_t origin = kOriginGenerated;
  SecureBytes private_der;
};

enum class Selected { none, piv, yubico_mgmt };
enum class Pending { none, challenge, witness };

struct Session {
  Selected selected = Selected::piv;  // PIV is the default application at power-on
  bool pin_verified = false;
  bool admin_authenticated = false;
  Pending pending = Pending::none;
  SecureBytes pending_value;  // the challenge C, or the witness plaintext R
  SecureBytes chain;          // CLA 10 command chaining buffer (may hold a key being imported)
  std::uint8_t chain_ins = 0;
  Bytes response;             // data still to be fetched with GET RESPONSE
};

struct CardState {
  CardOptions options;
  Reference pin, puk;
  crypto::AdminAlgorithm admin_algorithm = crypto::AdminAlgorithm::tdes;
  SecureBytes admin_key;
  bool admin_key_default = true;
  std::uint8_t admin_touch = 1;
  std::map<std::uint8_t, SlotKey> keys;
  std::map<std::uint32_t, Bytes> objects;  // object id -> content (the value inside 53; 7E stored whole)
  Session session;
  std::optional<std::uint64_t> vanish_after;
  bool vanished = false;

  /// The factory state, without the attestation key (ensure_attestation() adds it).
  static CardState factory(const CardOptions& options);
  /// Creates the attestation key (slot F9, P-256) and its self-signed certificate (object 5FFF01) when the card
  /// has no F9 key: when a card is made, and when a file from before ATTEST is loaded (attest.cpp).
  void ensure_attestation();
  std::string to_toml() const;
  static CardState from_toml(std::string_view text, const std::string& source);
};

/// Pads a PIN/PUK to the 8-byte PIV form.
SecureBytes padded(std::string_view value);

}  // namespace cardctl::sim
