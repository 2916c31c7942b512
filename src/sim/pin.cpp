// VERIFY, CHANGE REFERENCE DATA, RESET RETRY COUNTER (SP 800-73-4 Part 2 §3.2.1-§3.2.3; docs/protocol.md#verify).
#include "card_impl.hpp"
#include "cardctl/crypto.hpp"
#include "cardctl/piv_ids.hpp"

namespace cardctl::sim {

bool valid_reference(ByteView v) {
  if (v.size() != 8) return false;
  std::size_t len = 0;
  while (len < 8 && v[len] != 0xFF) ++len;
  for (std::size_t i = len; i < 8; ++i)
    if (v[i] != 0xFF) return false;
  return len >= 6;
}

namespace {
// Checks value against ref, counting a failure; returns the status word to send, 9000 when it matched.
std::uint16_t try_reference(Reference& ref, ByteView value) {
  if (ref.left <= 0) return apdu::sw::auth_blocked;
  if (crypto::equal_ct(ref.value, value)) {
    ref.left = ref.max;
    return apdu::sw::ok;
  }
  --ref.left;
  return static_cast<std::uint16_t>(apdu::sw::verify_fail | (ref.left > 15 ? 15 : ref.left));
}
}  // namespace

Response ReferenceCardImpl::verify(const Command& c) {
  if (c.p2 != piv::keyref::pin) return status(apdu::sw::ref_not_found);
  auto& s = state.session;
  if (c.p1 == 0xFF) {  // reset the security status of the PIN
    s.pin_verified = false;
    return ok();
  }
  if (c.p1 != 0x00) return status(apdu::sw::wrong_p1p2_6a86);
  if (c.data.empty()) {  // retry-count query
    if (state.pin.left <= 0) return status(apdu::sw::auth_blocked);
    if (s.pin_verified) return ok();
    return tries_left(state.pin.left);
  }
  // Eight bytes that are not a well-formed PIN (all FF, fewer than 6 characters, data after the padding) cannot
  // match the PIN, so they are a wrong PIN and spend a try, as on a YubiKey 5: 63Cx, not 6A80. Clients rely on
  // this to block the PIN before the YubiKey RESET (INS FB, which needs PIN and PUK blocked).
  if (c.data.size() != 8) return status(apdu::sw::incorrect_data);
  std::uint16_t sw = try_reference(state.pin, c.data);
  s.pin_verified = sw == apdu::sw::ok;
  return status(sw);
}

Response ReferenceCardImpl::change_reference(const Command& c) {
  if (c.p1 != 0x00) return status(apdu::sw::wrong_p1p2_6a86);
  Reference* ref = c.p2 == piv::keyref::pin ? &state.pin : c.p2 == piv::keyref::puk ? &state.puk : nullptr;
  if (ref == nullptr) return status(apdu::sw::ref_not_found);
  if (c.data.size() != 16) return status(apdu::sw::incorrect_data);
  ByteView data(c.data);
  // The current value is checked first: a malformed one is a wrong one (63Cx, a try spent, as in VERIFY). Only
  // a new value is refused for its format (6A80), and only once the current one has matched.
  std::uint16_t sw = try_reference(*ref, data.first(8));
  if (sw != apdu::sw::ok) {
    if (ref == &state.pin) state.session.pin_verified = false;
    return status(sw);
  }
  if (!valid_reference(data.last(8))) return status(apdu::sw::incorrect_data);
  ref->value = to_secure(data.last(8));
  ref->is_default = false;
  return ok();
}

Response ReferenceCardImpl::reset_retry_counter(const Command& c) {
  if (c.p2 != piv::keyref::pin) return status(apdu::sw::ref_not_found);
  ByteView data(c.data);
  if (c.p1 == 0x00) {  // PUK || new PIN
    if (data.size() != 16) return status(apdu::sw::incorrect_data);
    // As CHANGE REFERENCE DATA: a malformed PUK is a wrong PUK (63Cx), the new PIN's format is checked after.
    std::uint16_t sw = try_reference(state.puk, data.first(8));
    if (sw != apdu::sw::ok) return status(sw);
    if (!valid_reference(data.last(8))) return status(apdu::sw::incorrect_data);
  } else if (c.p1 == 0x02) {
    // ISO 7816-4 §11.5.10 P1=02: new reference data only. The admin PIN reset of docs/protocol.md#reset-retry-counter:
    // allowed while the card management key (9B) right is held, on cards whose profile permits admin PIN reset.
    if (!state.options.admin_pin_reset) return status(apdu::sw::func_not_supported);
    if (!state.session.admin_authenticated) return status(apdu::sw::security_status);
    if (data.size() != 8 || !valid_reference(data)) return status(apdu::sw::incorrect_data);
  } else {
    return status(apdu::sw::wrong_p1p2_6a86);
  }
  state.pin.value = to_secure(data.last(8));
  state.pin.left = state.pin.max;
  state.pin.is_default = false;
  state.session.pin_verified = false;
  return ok();
}

}  // namespace cardctl::sim
