// VERIFY, CHANGE REFERENCE DATA, RESET RETRY COUNTER (SP 800-73-4 Part 2 §3.2.1-§3.2.3), YubiKey metadata
// and SET PIN RETRIES.
#include "cardctl/error.hpp"
#include "cardctl/piv.hpp"
#include "cardctl/tlv.hpp"
#include "secret_command.hpp"

namespace cardctl::piv {

namespace {
std::string tries_left(int left) { return std::to_string(left) + (left == 1 ? " try left" : " tries left"); }

// The one decoder (apdu::error_for_sw) maps the status word; here its wrong_pin/blocked answers are reworded for
// the reference in question: "verifying the PIN: wrong PIN, 2 tries left". 63C0 reads as blocked, as every
// client reads it (docs/protocol.md#verify); 6300 says "wrong" without a counter.
Error reference_error(std::uint16_t sw, const std::string& doing, const std::string& what) {
  Error e = apdu::error_for_sw(sw, doing);
  const bool wrong = e.kind() == ErrorKind::wrong_pin;
  if (wrong && !e.retries())
    return Error(ErrorKind::wrong_pin, doing + ": wrong " + what).with_sw(sw);
  if (wrong && *e.retries() > 0)
    return Error(ErrorKind::wrong_pin, doing + ": wrong " + what + ", " + tries_left(*e.retries()))
        .with_retries(*e.retries())
        .with_sw(sw);
  if (wrong || e.kind() == ErrorKind::blocked)
    return Error(ErrorKind::blocked, doing + ": the " + what + " is blocked",
                 what == "PIN" ? "unblock it with the helpdesk: cardctl unblock; or with its PUK: cardctl unblock --puc"
                               : "the PUK cannot be unblocked; the card must be reset and issued again")
        .with_retries(0)
        .with_sw(sw);
  return e;
}

void send_reference(Channel& ch, apdu::Command c, const std::string& doing, const char* what) {
  auto r = detail::transmit_secret(ch, std::move(c));
  if (!r.ok()) throw reference_error(r.sw, doing, what);
}

// CHANGE REFERENCE DATA and RESET RETRY COUNTER carry two references, each padded to 8 bytes.
void send_pair(Channel& ch, std::uint8_t ins, std::uint8_t key_ref, ByteView first, ByteView second,
               const std::string& doing, const char* what) {
  auto a = pad_reference(first), b = pad_reference(second);
  send_reference(ch, {0x00, ins, 0x00, key_ref, detail::secret_buffer({a, b}), std::nullopt}, doing, what);
}

// PIN or PUK counter and default flag from YubiKey GET METADATA (tags 05 and 06); remaining -1 when absent.
RetryInfo retry_info_from(const std::optional<Bytes>& md) {
  RetryInfo info;
  if (!md) return info;
  if (auto v = tlv::find(*md, tag::md_retries); v && v->size() == 2) {
    info.total = (*v)[0];
    info.remaining = (*v)[1];
  }
  if (auto d = tlv::find(*md, tag::md_is_default); d && d->size() == 1) info.is_default = (*d)[0] == 1;
  return info;
}
}  // namespace

std::optional<Bytes> PivSession::metadata(std::uint8_t key_ref) {
  // YubiKey GET METADATA (F7, firmware 5.3+); older cards answer 6D00, an empty slot 6A88.
  auto r = channel_.transmit({0x00, apdu::ins::get_metadata, 0x00, key_ref, {}, 256});
  if (!r.ok()) return std::nullopt;
  return r.data;
}

RetryInfo PivSession::pin_retries() {
  RetryInfo info = retry_info_from(metadata(keyref::pin));
  if (info.remaining >= 0) return info;
  // No metadata: the empty VERIFY of SP 800-73-4 Part 2 §3.2.1, which spends no try: 63Cx = x left, 9000 =
  // already verified in this session (count unknown), 6983 = blocked.
  auto r = channel_.transmit({0x00, apdu::ins::verify, 0x00, keyref::pin, {}, std::nullopt});
  if (r.sw == apdu::sw::auth_blocked) info.remaining = 0;
  else if ((r.sw & 0xFFF0) == apdu::sw::verify_fail) info.remaining = r.sw & 0x0F;
  else if (!r.ok()) throw apdu::error_for_sw(r.sw, "reading the PIN retry counter");
  return info;
}

RetryInfo PivSession::puk_retries() { return retry_info_from(metadata(keyref::puk)); }

bool PivSession::pin_verified() {
  return channel_.transmit({0x00, apdu::ins::verify, 0x00, keyref::pin, {}, std::nullopt}).ok();
}

void PivSession::verify_pin(const Pin& pin) {
  auto p = pad_reference(pin.bytes());
  send_reference(channel_, {0x00, apdu::ins::verify, 0x00, keyref::pin, detail::secret_buffer({p}), std::nullopt},
                 "verifying the PIN", "PIN");
}

void PivSession::change_pin(const Pin& current, const Pin& replacement) {
  send_pair(channel_, apdu::ins::change_reference, keyref::pin, current.bytes(), replacement.bytes(),
            "changing the PIN", "PIN");
}

void PivSession::change_puk(const Puk& current, const Puk& replacement) {
  send_pair(channel_, apdu::ins::change_reference, keyref::puk, current.bytes(), replacement.bytes(),
            "changing the PUK", "PUK");
}

void PivSession::reset_pin_with_puk(const Puk& puk, const Pin& new_pin) {
  send_pair(channel_, apdu::ins::reset_retry_counter, keyref::pin, puk.bytes(), new_pin.bytes(),
            "unblocking the PIN with the PUK", "PUK");
}

void PivSession::reset_pin_as_admin(const Pin& new_pin) {
  auto p = pad_reference(new_pin.bytes());
  // ISO 7816-4 §11.5.10: P1 = 02, new reference data only (docs/protocol.md#reset-retry-counter).
  auto r = detail::transmit_secret(
      channel_, {0x00, apdu::ins::reset_retry_counter, 0x02, keyref::pin, detail::secret_buffer({p}), std::nullopt});
  // A card without admin PIN reset refuses P1 = 02 (function, instruction or parameters not supported) or the
  // 8-byte body it expects to be PUK + PIN (incorrect data).
  if (r.sw == apdu::sw::func_not_supported || r.sw == apdu::sw::ins_not_supported ||
      r.sw == apdu::sw::wrong_p1p2_6a86 || r.sw == apdu::sw::incorrect_data)
    throw Error(ErrorKind::unsupported, "this card does not allow the PIN to be reset with the admin key",
                "unblock it with its PUK: cardctl unblock --puc")
        .with_sw(r.sw);
  apdu::check(r, "setting the new PIN");
}

void PivSession::set_pin_retries(int pin_tries, int puk_tries) {
  if (pin_tries < 1 || pin_tries > 255 || puk_tries < 1 || puk_tries > 255)
    throw Error(ErrorKind::usage, "PIN and PUK retries must be between 1 and 255");
  channel_.transmit_ok({0x00, apdu::ins::set_pin_retries, static_cast<std::uint8_t>(pin_tries),
                        static_cast<std::uint8_t>(puk_tries), {}, std::nullopt},
                       "setting the PIN and PUK retries");
}

void PivSession::reset_application() {
  auto r = channel_.transmit({0x00, apdu::ins::reset, 0x00, 0x00, {}, std::nullopt});
  if (r.sw == apdu::sw::conditions)
    throw Error(ErrorKind::wrong_data,
                "resetting the PIV application: the card allows it only when both its PIN and its PUK are blocked")
        .with_sw(r.sw);
  apdu::check(r, "resetting the PIV application");
}

}  // namespace cardctl::piv
