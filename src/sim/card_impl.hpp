// The reference card's command handlers, one file per concern (SP 800-73-4 Part 2 §3, YubiKey extensions).
#pragma once

#include "card_state.hpp"
#include "cardctl/apdu.hpp"

namespace cardctl::sim {

using apdu::Command;
using apdu::Response;

class ReferenceCardImpl {
 public:
  explicit ReferenceCardImpl(CardState s) : state(std::move(s)), random(crypto::system_random()) {}

  Bytes process(ByteView raw);
  void reset();

  CardState state;
  crypto::RandomSource random;

  // Handlers: each returns the whole response (data and status word); >256 bytes are paged by process().
  Response select(const Command& c);
  Response verify(const Command& c);
  Response change_reference(const Command& c);
  Response reset_retry_counter(const Command& c);
  Response general_authenticate(const Command& c);
  Response admin_authenticate(const Command& c);
  Response asymmetric_authenticate(const Command& c);
  Response generate(const Command& c);
  Response get_data(const Command& c);
  Response put_data(const Command& c);
  Response get_version(const Command& c);
  Response get_serial(const Command& c);
  Response set_management_key(const Command& c);
  Response set_pin_retries(const Command& c);
  Response reset_application(const Command& c);
  Response get_metadata(const Command& c);
  Response attest(const Command& c);  // attest.cpp
  // The Yubico management application (management.cpp).
  Response select_management();
  Response management(const Command& c);

 private:
  Response dispatch(const Command& c);
  Response page(Response r);
};

inline Response status(std::uint16_t sw) { return {{}, sw}; }
inline Response ok(Bytes data = {}) { return {std::move(data), apdu::sw::ok}; }
/// A serial number as the card reports it (GET SERIAL, the management application's device info): 4 bytes,
/// big-endian.
inline Bytes serial_bytes(std::uint32_t n) {
  return {static_cast<std::uint8_t>(n >> 24), static_cast<std::uint8_t>(n >> 16), static_cast<std::uint8_t>(n >> 8),
          static_cast<std::uint8_t>(n)};
}
/// The form factor the card reports (management application tag 04, attestation extension
/// 1.3.6.1.4.1.41482.3.9): 00, unknown, since a software card has no USB-A/USB-C/Nano form.
inline constexpr std::uint8_t kFormFactorUnknown = 0x00;
/// 63Cx with the tries left capped at 15 (SP 800-73-4 Part 2 §3.2.1).
inline Response tries_left(int left) {
  return status(static_cast<std::uint16_t>(apdu::sw::verify_fail | (left > 15 ? 15 : left)));
}
/// A PIN/PUK field is 6-8 bytes then FF padding to 8 (SP 800-73-4 Part 2 §2.4.3).
bool valid_reference(ByteView padded8);
/// The inner public-key TLVs (81/82 or 86) as GENERATE and GET METADATA return them.
Bytes public_key_tlvs(const crypto::KeyPair& key);
bool is_key_slot(std::uint8_t slot);
std::uint8_t effective_pin_policy(std::uint8_t slot, std::uint8_t policy);
std::uint8_t effective_touch_policy(std::uint8_t policy);

}  // namespace cardctl::sim
