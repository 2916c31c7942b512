// The PIV session operations fuzz_session drives, shared with the corpus recorder (record_corpus.cpp) so that a
// recorded seed replays the same operations. A step is two bytes, operation and argument, read before the
// operation sends anything; the card's replies follow in the input (see FuzzCard in fuzz_session.cpp).
#pragma once

#include <array>
#include <string>

#include "cardctl/piv.hpp"

namespace cardctl::fuzz {

// Secrets with letters that are not hex digits, so that their text cannot turn up in a hex or decimal rendering
// of what the card sent.
inline const std::string kPin = "k7Qz!m", kNewPin = "Wv3$pz9", kPuk = "Pq8#wX2t", kNewPuk = "Hy5&rT1u";
inline Bytes admin_key_bytes(crypto::AdminAlgorithm a) {
  Bytes k(crypto::info(a).key_length);
  for (std::size_t i = 0; i < k.size(); ++i) k[i] = static_cast<std::uint8_t>(0x31 + 13 * i);
  return k;
}

inline constexpr std::array<std::uint8_t, 8> kSlots{0x9A, 0x9C, 0x9D, 0x9E, 0x82, 0x95, 0xF9, 0x9B};
inline constexpr std::array<crypto::KeyAlgorithm, 4> kKeyAlgorithms{
    crypto::KeyAlgorithm::eccp256, crypto::KeyAlgorithm::eccp384, crypto::KeyAlgorithm::rsa2048,
    crypto::KeyAlgorithm::rsa1024};

enum Op : std::uint8_t {
  op_select, op_version, op_serial, op_card_id, op_pin_retries, op_puk_retries, op_pin_verified, op_verify_pin,
  op_change_pin, op_change_puk, op_unblock, op_admin_reset, op_management_key_info, op_begin_external,
  op_finish_external, op_authenticate, op_set_management_key, op_slot_info, op_generate, op_sign, op_attest,
  op_get_certificate, op_get_chuid, op_get_discovery, op_put_certificate, op_put_chuid, op_set_pin_retries,
  op_reset_application, op_count
};

/// Runs one operation; arg picks the slot (low 3 bits), key algorithm (bits 3-4) and 9B algorithm (bits 5-6).
/// Returns what card_id, pin_retries and puk_retries found (as text), for the caller to check; else "".
inline std::string run_op(piv::PivSession& s, std::uint8_t op, std::uint8_t arg) {
  using namespace piv;
  const std::uint8_t slot = kSlots[arg & 7];
  const crypto::KeyAlgorithm ka = kKeyAlgorithms[(arg >> 3) & 3];
  const auto aa = static_cast<crypto::AdminAlgorithm>((arg >> 5) & 3);
  switch (op % op_count) {
    case op_select: s.select(); break;
    case op_version: s.version(); break;
    case op_serial: s.serial(); break;
    case op_card_id: return s.card_id();
    case op_pin_retries: return std::to_string(s.pin_retries().remaining);
    case op_puk_retries: return std::to_string(s.puk_retries().remaining);
    case op_pin_verified: s.pin_verified(); break;
    case op_verify_pin: s.verify_pin(Pin::from_text(kPin)); break;
    case op_change_pin: s.change_pin(Pin::from_text(kPin), Pin::from_text(kNewPin)); break;
    case op_change_puk: s.change_puk(Puk::from_text(kPuk), Puk::from_text(kNewPuk)); break;
    case op_unblock: s.reset_pin_with_puk(Puk::from_text(kPuk), Pin::from_text(kNewPin)); break;
    case op_admin_reset: s.reset_pin_as_admin(Pin::from_text(kNewPin)); break;
    case op_management_key_info: s.management_key_info(); break;
    case op_begin_external: s.begin_external_auth(aa); break;
    case op_finish_external: {
      const Bytes response(crypto::info(aa).block_length, 0x42);
      s.finish_external_auth(aa, response);
      break;
    }
    case op_authenticate: s.authenticate(AdminKey(to_secure(admin_key_bytes(aa))), aa); break;
    case op_set_management_key: s.set_management_key(AdminKey(to_secure(admin_key_bytes(aa))), aa, arg & 0x80); break;
    case op_slot_info: s.slot_info(slot); break;
    case op_generate: s.generate_key(slot, ka); break;
    case op_sign: s.sign_sha256(slot, ka, to_bytes("fuzz")); break;
    case op_attest: s.attest(slot); break;
    case op_get_certificate: s.get_certificate(slot); break;
    case op_get_chuid: s.get_object(object::chuid); break;
    case op_get_discovery: s.get_object(object::discovery); break;
    case op_put_certificate: s.put_certificate(slot, Bytes(1 + arg, 0x30)); break;
    case op_put_chuid: s.put_chuid(Bytes(16, arg)); break;
    case op_set_pin_retries: s.set_pin_retries(1 + (arg & 7), 1 + (arg >> 5)); break;
    case op_reset_application: s.reset_application(); break;
  }
  return "";
}

}  // namespace cardctl::fuzz
