// Layer 6: a PIV session (NIST SP 800-73-4 Part 2, plus the widely used YubiKey extensions). Methods are
// named for spec operations (docs/protocol.md). Knows nothing of policy or inventory. Every failure is a
// cardctl::Error with context ("verifying the PIN: wrong PIN, 2 tries left").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cardctl/asym.hpp"
#include "cardctl/channel.hpp"
#include "cardctl/crypto.hpp"
#include "cardctl/piv_ids.hpp"
#include "cardctl/secret.hpp"
#include "cardctl/transport.hpp"

namespace cardctl::piv {

struct Version {
  int major = 0, minor = 0, patch = 0;
  std::string to_string() const;
  bool at_least(int ma, int mi, int pa) const;
};

struct RetryInfo {
  int remaining = -1;        // -1 when unknown (e.g. PIN already verified in this session)
  std::optional<int> total;  // from GET METADATA when the card has it
  std::optional<bool> is_default;
};

/// How many retired keys (slots 82-95) a card holds, by where their certificates are (key history object).
struct KeyHistory {
  std::uint8_t on_card = 0;
  std::uint8_t off_card = 0;
};

struct ManagementKeyInfo {
  crypto::AdminAlgorithm algorithm = crypto::AdminAlgorithm::tdes;
  std::optional<bool> is_default;  // nullopt when the card has no metadata
  TouchPolicy touch = TouchPolicy::never;
};

struct SlotInfo {
  std::uint8_t slot = 0;
  crypto::KeyAlgorithm algorithm{};
  PinPolicy pin_policy = PinPolicy::default_policy;
  TouchPolicy touch_policy = TouchPolicy::default_policy;
  bool generated_on_card = false;
  Bytes public_key_spki;  // SubjectPublicKeyInfo DER
};

/// Pads a PIN/PUK with FF to 8 bytes (SP 800-73-4 Part 2 §2.4.3). Throws Error(usage) if not 6..8 bytes.
SecureBytes pad_reference(ByteView value);

struct SessionOptions {
  /// Keep the exclusive transaction for the whole session (the challenge lives in it: docs/protocol.md#session-rules).
  bool hold_transaction = true;
  /// Send SELECT when the session opens. false only for `unblock --response` after `challenge --detach`,
  /// which must not re-SELECT before the response (docs/protocol.md#session-rules).
  bool select_on_open = true;
  TraceSink trace;
};

class PivSession {
 public:
  PivSession(transport::Connection& connection, SessionOptions options = {});
  PivSession(const PivSession&) = delete;
  PivSession& operator=(const PivSession&) = delete;
  ~PivSession();

  transport::Connection& connection() { return channel_.connection(); }
  Channel& channel() { return channel_; }
  /// Ends the session: ends the transaction and disconnects with the given disposition.
  void close(transport::Disposition disposition);

  // --- identity -----------------------------------------------------------------------------
  void select();
  std::optional<Version> version();     // YubiKey GET VERSION (FD); nullopt when the card has none
  std::optional<std::uint32_t> serial();  // YubiKey GET SERIAL (F8); nullopt if the card has none
  /// docs/architecture.md#card-id: serial in decimal, else the CHUID GUID as 32 lower-case hex digits. Error(not_found)
  /// when the card has neither.
  std::string card_id();
  /// The same rule on what was read already (serial, CHUID): nullopt when neither gives an id.
  static std::optional<std::string> card_id_of(std::optional<std::uint32_t> serial, const std::optional<Bytes>& chuid);

  // --- PIN / PUK ----------------------------------------------------------------------------
  /// Empty VERIFY (and GET METADATA where available). remaining = 0 when blocked.
  RetryInfo pin_retries();
  /// PUK counter from GET METADATA; remaining -1 when the card cannot tell without spending a try.
  RetryInfo puk_retries();
  bool pin_verified();
  void verify_pin(const Pin& pin);
  void change_pin(const Pin& current, const Pin& replacement);
  void change_puk(const Puk& current, const Puk& replacement);
  /// RESET RETRY COUNTER P1=00 with the PUK.
  void reset_pin_with_puk(const Puk& puk, const Pin& new_pin);
  /// RESET RETRY COUNTER P1=02 (new reference data only), allowed after 9B authentication on cards that
  /// support admin PIN reset (docs/protocol.md#reset-retry-counter). Error(unsupported) with a hint to use the
  /// PUK otherwise.
  void reset_pin_as_admin(const Pin& new_pin);
  /// YubiKey SET PIN RETRIES (FA): needs 9B and PIN; resets PIN and PUK to factory values.
  void set_pin_retries(int pin_tries, int puk_tries);

  // --- card management key (9B) -------------------------------------------------------------
  ManagementKeyInfo management_key_info();  // GET METADATA 9B; algorithm falls back to TDES
  /// External authenticate, step 1: asks the card for a challenge (7C{81 00}); returns it.
  Bytes begin_external_auth(crypto::AdminAlgorithm a);
  /// Step 2: sends 7C{82 response}. Error(auth_failed) on 6982 ("wrong response").
  void finish_external_auth(crypto::AdminAlgorithm a, ByteView response);
  /// Mutual authentication with a key held by the caller (witness, then challenge).
  void authenticate(const AdminKey& key, crypto::AdminAlgorithm a);
  /// SET MANAGEMENT KEY (FF); needs 9B.
  void set_management_key(const AdminKey& key, crypto::AdminAlgorithm a, bool require_touch = false);

  // --- keys and certificates ----------------------------------------------------------------
  /// GENERATE ASYMMETRIC KEY PAIR; returns the public key as SubjectPublicKeyInfo DER.
  Bytes generate_key(std::uint8_t slot, crypto::KeyAlgorithm a, PinPolicy pin = PinPolicy::default_policy,
                     TouchPolicy touch = TouchPolicy::default_policy);
  std::optional<SlotInfo> slot_info(std::uint8_t slot);  // GET METADATA; nullopt if empty or unsupported
  /// Signs SHA-256(data) with the slot's key: RSA PKCS#1 v1.5 (padding built here) or ECDSA (DER).
  Bytes sign_sha256(std::uint8_t slot, crypto::KeyAlgorithm a, ByteView data);
  /// Raw GENERAL AUTHENTICATE 7C{82 00, 81 input}: RSA raw block or EC digest.
  Bytes general_authenticate_sign(std::uint8_t slot, crypto::KeyAlgorithm a, ByteView input);
  /// Key establishment (SP 800-73-4 Part 2 §3.2.4, GENERAL AUTHENTICATE): ECDH of the slot's P-256 or P-384 key with the
  /// peer's uncompressed point, GENERAL AUTHENTICATE 7C{82 00, 85 point}; returns the shared secret (the X
  /// coordinate, from tag 82). Error(security_status) saying the PIN must be verified first on 6982.
  SecureBytes ecdh(std::uint8_t slot, ByteView peer_point);
  std::optional<Bytes> get_object(std::uint32_t object_id);   // the 53 value; nullopt on 6A82
  void put_object(std::uint32_t object_id, ByteView value);   // value goes inside 53
  void delete_object(std::uint32_t object_id);
  std::optional<Bytes> get_certificate(std::uint8_t slot);    // certificate DER from tag 70
  void put_certificate(std::uint8_t slot, ByteView der);
  /// Writes a CHUID with the given 16-byte GUID (and FASC-N, expiry) and returns it.
  void put_chuid(ByteView guid16);
  /// The key history object (SP 800-73-4 Part 1, 3.3.2); nullopt when the card has none.
  std::optional<KeyHistory> key_history();
  void put_key_history(const KeyHistory& history);
  /// YubiKey ATTEST (F9); certificate DER.
  Bytes attest(std::uint8_t slot);

  /// Spends every PUK try with wrong values (CHANGE REFERENCE DATA), until the card reports the PUK blocked.
  void block_puk();
  /// YubiKey RESET (FB): only when PIN and PUK are both blocked.
  void reset_application();
  /// Blocks the PIN and the PUK with wrong values, then RESET: factory PIN, PUK and admin key, no keys, no
  /// objects. Error(unsupported) from RESET on cards without it.
  void factory_reset();

 private:
  Bytes general_authenticate(std::uint8_t algorithm, std::uint8_t key_ref, ByteView template_value,
                             const std::string& what, bool secret = false);
  std::optional<Bytes> metadata(std::uint8_t key_ref);
  Channel channel_;
  SessionOptions options_;
  bool in_transaction_ = false;
  bool closed_ = false;
};

}  // namespace cardctl::piv
