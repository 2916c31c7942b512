// PIV identifiers and slot names, shared by the client session, the reference card and the policy (which
// needs the names, not the PIV stack): one table per spec.
// SP 800-73-4 Part 1 Table 3 (data objects), Part 2 §3.2 (key references), SP 800-78-4 Table 6-2
// (algorithm identifiers); YubiKey extensions from Yubico's PIV documentation.
#pragma once

#include <array>
#include <cctype>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cardctl::piv {

/// PIV AID: A0 00 00 03 08 00 00 10 00 01 00 (any prefix of 5+ bytes selects it).
inline constexpr std::array<std::uint8_t, 11> kPivAid = {0xA0, 0x00, 0x00, 0x03, 0x08, 0x00,
                                                          0x00, 0x10, 0x00, 0x01, 0x00};
/// Yubico management application (libykpiv selects it to drop PIV session state).
inline constexpr std::array<std::uint8_t, 8> kYubicoMgmtAid = {0xA0, 0x00, 0x00, 0x05, 0x27, 0x47, 0x11, 0x17};

/// Key references (P2 of VERIFY / CHANGE REFERENCE / RESET RETRY, GENERAL AUTHENTICATE, GENERATE).
namespace keyref {
inline constexpr std::uint8_t pin = 0x80;
inline constexpr std::uint8_t puk = 0x81;
inline constexpr std::uint8_t management = 0x9B;
inline constexpr std::uint8_t authentication = 0x9A;
inline constexpr std::uint8_t signature = 0x9C;
inline constexpr std::uint8_t key_management = 0x9D;
inline constexpr std::uint8_t card_authentication = 0x9E;
inline constexpr std::uint8_t retired_first = 0x82;
inline constexpr std::uint8_t retired_last = 0x95;
inline constexpr std::uint8_t attestation = 0xF9;
}  // namespace keyref

/// Data object identifiers (the 5C tag values of GET/PUT DATA).
namespace object {
inline constexpr std::uint32_t discovery = 0x7E;
inline constexpr std::uint32_t biometric_group_template = 0x7F61;
inline constexpr std::uint32_t card_capability = 0x5FC107;      // CCC
inline constexpr std::uint32_t chuid = 0x5FC102;
inline constexpr std::uint32_t cert_authentication = 0x5FC105;  // 9A
inline constexpr std::uint32_t cert_signature = 0x5FC10A;       // 9C
inline constexpr std::uint32_t cert_key_management = 0x5FC10B;  // 9D
inline constexpr std::uint32_t cert_card_auth = 0x5FC101;       // 9E
inline constexpr std::uint32_t fingerprints = 0x5FC103;         // PIN-protected
inline constexpr std::uint32_t security_object = 0x5FC106;
inline constexpr std::uint32_t facial_image = 0x5FC108;         // PIN-protected
inline constexpr std::uint32_t printed_information = 0x5FC109;  // PIN-protected
inline constexpr std::uint32_t key_history = 0x5FC10C;
inline constexpr std::uint32_t retired_cert_first = 0x5FC10D;   // 82 .. 95 -> 5FC10D .. 5FC120
inline constexpr std::uint32_t iris_images = 0x5FC121;          // PIN-protected
inline constexpr std::uint32_t yubico_attestation_cert = 0x5FFF01;
}  // namespace object

/// Template and tag values.
namespace tag {
inline constexpr std::uint32_t object_id = 0x5C;
inline constexpr std::uint32_t data = 0x53;
inline constexpr std::uint32_t dynamic_auth = 0x7C;   // GENERAL AUTHENTICATE template
inline constexpr std::uint32_t witness = 0x80;
inline constexpr std::uint32_t challenge = 0x81;
inline constexpr std::uint32_t response = 0x82;
inline constexpr std::uint32_t exponentiation = 0x85;
inline constexpr std::uint32_t public_key = 0x7F49;
inline constexpr std::uint32_t rsa_modulus = 0x81;
inline constexpr std::uint32_t rsa_exponent = 0x82;
inline constexpr std::uint32_t ec_point = 0x86;
inline constexpr std::uint32_t gen_template = 0xAC;   // GENERATE control reference template
inline constexpr std::uint32_t gen_algorithm = 0x80;
inline constexpr std::uint32_t pin_policy = 0xAA;     // YubiKey
inline constexpr std::uint32_t touch_policy = 0xAB;   // YubiKey
inline constexpr std::uint32_t chuid_guid = 0x34;
inline constexpr std::uint32_t cert = 0x70;
inline constexpr std::uint32_t cert_info = 0x71;
inline constexpr std::uint32_t key_history_on_card = 0xC1;   // key history object: retired keys, certificate on card
inline constexpr std::uint32_t key_history_off_card = 0xC2;  // ... certificate elsewhere
inline constexpr std::uint32_t error_detection = 0xFE;
inline constexpr std::uint32_t app_property_template = 0x61;
inline constexpr std::uint32_t aid = 0x4F;
inline constexpr std::uint32_t coexistent_authority = 0x79;
// GET METADATA (YubiKey, INS F7) response tags
inline constexpr std::uint32_t md_algorithm = 0x01;
inline constexpr std::uint32_t md_policy = 0x02;
inline constexpr std::uint32_t md_origin = 0x03;
inline constexpr std::uint32_t md_public_key = 0x04;
inline constexpr std::uint32_t md_is_default = 0x05;
inline constexpr std::uint32_t md_retries = 0x06;
}  // namespace tag

/// PIN and touch policies (YubiKey extension; values on the wire).
enum class PinPolicy : std::uint8_t { default_policy = 0, never = 1, once = 2, always = 3 };
enum class TouchPolicy : std::uint8_t { default_policy = 0, never = 1, always = 2, cached = 3 };

/// The policy a key in `slot` has when it was given "default" (docs/protocol.md#asymmetric-keys): 9C always,
/// 9E never, the others once.
constexpr PinPolicy effective_pin_policy(std::uint8_t slot, PinPolicy policy) {
  if (policy != PinPolicy::default_policy) return policy;
  if (slot == keyref::signature) return PinPolicy::always;
  if (slot == keyref::card_authentication) return PinPolicy::never;
  return PinPolicy::once;
}

/// The YubiKey factory defaults the reference card starts from.
namespace factory {
inline constexpr const char* pin = "123456";
inline constexpr const char* puk = "12345678";
/// 01 02 03 04 05 06 07 08 repeated three times (TDES; AES-192 from firmware 5.7).
inline constexpr std::array<std::uint8_t, 24> management_key = {
    1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8};
inline constexpr int pin_retries = 3;
inline constexpr int puk_retries = 3;
}  // namespace factory

/// Slot <-> certificate object (SP 800-73-4 Part 1 Table 3 / Part 2 §3.2).
inline std::optional<std::uint32_t> certificate_object_for_slot(std::uint8_t slot) {
  switch (slot) {
    case keyref::authentication: return object::cert_authentication;
    case keyref::signature: return object::cert_signature;
    case keyref::key_management: return object::cert_key_management;
    case keyref::card_authentication: return object::cert_card_auth;
    case keyref::attestation: return object::yubico_attestation_cert;
  }
  if (slot >= keyref::retired_first && slot <= keyref::retired_last)
    return object::retired_cert_first + (slot - keyref::retired_first);
  return std::nullopt;
}

/// "9a", "9c", "9d", "9e", "82".."95" or names "authentication", "signature", ...
inline std::optional<std::uint8_t> slot_from_name(std::string_view name) {
  std::string n;
  for (char c : name) n.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (n == "9a" || n == "authentication") return keyref::authentication;
  if (n == "9c" || n == "signature") return keyref::signature;
  if (n == "9d" || n == "key-management" || n == "key_management") return keyref::key_management;
  if (n == "9e" || n == "card-authentication" || n == "card_authentication") return keyref::card_authentication;
  if (n.size() == 2) {
    try {
      auto v = static_cast<std::uint8_t>(std::stoul(n, nullptr, 16));
      if (v >= keyref::retired_first && v <= keyref::retired_last) return v;
    } catch (...) {
    }
  }
  return std::nullopt;
}

/// "authentication", "signature", "key-management", "card-authentication", "attestation", else "retired".
inline const char* slot_name(std::uint8_t slot) {
  switch (slot) {
    case keyref::authentication: return "authentication";
    case keyref::signature: return "signature";
    case keyref::key_management: return "key-management";
    case keyref::card_authentication: return "card-authentication";
    case keyref::attestation: return "attestation";
  }
  return "retired";
}

}  // namespace cardctl::piv
