// Putting a PIV application back to its factory state without knowing its PIN or PUK: spend every PIN and PUK try
// with values that are wrong, then the YubiKey RESET (INS FB), which the card allows only when both are blocked.
// This is how a half-issued card is started again and how a returned card is wiped (cardctl-retire(1)).
#include "cardctl/crypto.hpp"
#include "cardctl/error.hpp"
#include "cardctl/piv.hpp"
#include "secret_command.hpp"

namespace cardctl::piv {

namespace {
constexpr int kMaxTries = 40;  // retries are at most 15 on the cards we know; a few more for lucky guesses

// Eight random digits: wrong for any PIN or PUK except with probability 1e-8, and a lucky hit only resets the
// counter, so the loop goes on.
SecureBytes wrong_value() {
  Bytes random = crypto::random_bytes(8);
  SecureBytes v(random.begin(), random.end());
  for (auto& b : v) b = static_cast<std::uint8_t>('0' + b % 10);
  return v;
}

void spend_all_tries(Channel& channel, std::uint8_t ins, std::uint8_t p2, const char* what, const char* during) {
  for (int i = 0; i < kMaxTries; ++i) {
    SecureBytes first = wrong_value();
    SecureBytes data = ins == apdu::ins::verify ? detail::secret_buffer({first})
                                                : detail::secret_buffer({first, wrong_value()});
    auto r = detail::transmit_secret(channel, {0x00, ins, 0x00, p2, std::move(data), std::nullopt});
    if (r.sw == apdu::sw::auth_blocked || r.sw == apdu::sw::verify_fail) return;  // 63C0: no tries left
    if ((r.sw & 0xFFF0) == apdu::sw::verify_fail || r.ok()) continue;
    throw apdu::error_for_sw(r.sw, std::string("blocking the ") + what + during);
  }
  throw Error(ErrorKind::protocol, std::string("blocking the ") + what + ": the card never reported it blocked");
}
}  // namespace

void PivSession::factory_reset() {
  spend_all_tries(channel_, apdu::ins::verify, keyref::pin, "PIN", " before the reset");
  // RESET RETRY COUNTER with a wrong PUK spends a PUK try (SP 800-73-4 Part 2 §3.2.3).
  spend_all_tries(channel_, apdu::ins::reset_retry_counter, keyref::pin, "PUK", " before the reset");
  reset_application();
}

void PivSession::block_puk() {
  // CHANGE REFERENCE DATA of the PUK with a wrong current PUK spends a PUK try (SP 800-73-4 Part 2 §3.2.2); a
  // lucky hit only changes the PUK to another random value, and never touches the PIN.
  spend_all_tries(channel_, apdu::ins::change_reference, keyref::puk, "PUK", "");
}

}  // namespace cardctl::piv
