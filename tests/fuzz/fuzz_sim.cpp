// The reference card under APDU sequences chosen by the fuzzer, with the PIN, PUK and card management key (9B)
// steps a real client sends mixed in, so that VERIFY, RESET RETRY COUNTER, CHANGE REFERENCE DATA and GENERAL
// AUTHENTICATE get past their checks (SP 800-73-4 Part 2 §3.2.1-§3.2.4). After every APDU:
//   - the reply has a status word;
//   - PIN and PUK counters stay within 0..max (max 1..255) and go up only when VERIFY, CHANGE REFERENCE DATA,
//     RESET RETRY COUNTER, SET PIN RETRIES or RESET answered 9000;
//   - no reply carries the PIN, PUK or management key, unless the fuzzer itself sent those bytes in a raw APDU
//     (PUT DATA can store anything);
//   - the state file round-trips: save, load, save gives the same text, and the card goes on from the loaded copy.
// The harness mirrors the secrets (and command chaining, which decides what data a command carries) from the
// commands that succeed, so its own steps know the right PIN, PUK and key, and their replies are checked exactly.
//
// Input: byte 0 = card options (bits 0-1 management algorithm, bit 2 admin PIN reset, bit 3 no serial), then
// steps: a selector byte, then its operands (see step()).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include "cardctl/apdu.hpp"
#include "cardctl/crypto.hpp"
#include "cardctl/error.hpp"
#include "cardctl/files.hpp"
#include "cardctl/piv_ids.hpp"
#include "cardctl/sim_card.hpp"
#include "cardctl/tlv.hpp"
#include "fuzz_util.hpp"

namespace {
using namespace cardctl;
using fuzz::fail;
namespace sw = apdu::sw;

constexpr std::size_t kMaxSteps = 48;
constexpr std::uint8_t kChainBit = 0x10;

Bytes padded(std::string_view v) {
  Bytes out(8, 0xFF);
  std::copy(v.begin(), v.end(), out.begin());
  return out;
}
void fill(std::span<std::uint8_t> out) { std::fill(out.begin(), out.end(), 0x5A); }

// What the harness knows of the card: its secrets, and the chaining buffer that decides a command's data.
struct Model {
  crypto::AdminAlgorithm alg = crypto::AdminAlgorithm::tdes;
  Bytes key, pin = padded(piv::factory::pin), puk = padded(piv::factory::puk);
  Bytes chain;
  std::uint8_t chain_ins = 0;
  Bytes written;  // every byte the fuzzer sent in raw APDUs

  static Bytes factory_key(crypto::AdminAlgorithm a) {
    // Same default as the card (src/sim/card_state.cpp): the YubiKey pattern, cut or extended to the length.
    Bytes k(piv::factory::management_key.begin(), piv::factory::management_key.end());
    std::size_t len = crypto::info(a).key_length;
    k.resize(len, 0);
    for (std::size_t i = 24; i < len; ++i) k[i] = static_cast<std::uint8_t>(i - 23);
    return k;
  }
  void factory(crypto::AdminAlgorithm a) {
    alg = a;
    key = factory_key(a);
    pin = padded(piv::factory::pin);
    puk = padded(piv::factory::puk);
  }
};

struct Harness {
  sim::ReferenceCard card;
  Model m;
  std::string path = fuzz::scratch_path("sim.toml");

  // Sends one APDU the way the card sees it; `raw` = it came from the fuzzer's bytes.
  apdu::Response send(ByteView command, bool raw) {
    const auto before = card.retry_counters();
    Bytes reply = card.process(command);
    if (reply.size() < 2) fail("reply without a status word");
    const apdu::Response r = apdu::parse_response(reply);
    if (raw) m.written.insert(m.written.end(), command.begin(), command.end());
    const std::optional<apdu::Command> c = track(command, r);
    check(before, c, r);
    round_trip();
    return r;
  }

  // Mirrors the card's chaining (src/sim/card.cpp) and the secrets a successful command sets. Returns the
  // command with its whole data when the card executed one.
  std::optional<apdu::Command> track(ByteView raw, const apdu::Response& r) {
    apdu::Command c;
    try {
      c = apdu::parse_command(raw);
    } catch (const Error&) {
      return std::nullopt;
    }
    if (c.ins == apdu::ins::get_response && (c.cla & ~kChainBit) == 0) return std::nullopt;
    if ((c.cla & ~kChainBit) != 0) return std::nullopt;
    if (c.cla & kChainBit) {
      if (!m.chain.empty() && m.chain_ins != c.ins) m.chain.clear();
      m.chain_ins = c.ins;
      m.chain.insert(m.chain.end(), c.data.begin(), c.data.end());
      return std::nullopt;
    }
    if (!m.chain.empty()) {
      if (m.chain_ins == c.ins) c.data.insert(c.data.begin(), m.chain.begin(), m.chain.end());
      m.chain.clear();
    }
    if (r.sw != sw::ok) return c;
    ByteView d(c.data);
    switch (c.ins) {
      case apdu::ins::change_reference:
        if (d.size() == 16) (c.p2 == piv::keyref::pin ? m.pin : m.puk).assign(d.begin() + 8, d.end());
        break;
      case apdu::ins::reset_retry_counter:
        if (d.size() >= 8) m.pin.assign(d.end() - 8, d.end());
        break;
      case apdu::ins::set_management_key:
        m.alg = *crypto::admin_algorithm_from_piv_id(d[0]);
        m.key.assign(d.begin() + 3, d.end());
        break;
      case apdu::ins::set_pin_retries:
        m.pin = padded(piv::factory::pin);
        m.puk = padded(piv::factory::puk);
        break;
      case apdu::ins::reset: m.factory(crypto::AdminAlgorithm::tdes); break;
      default: break;
    }
    return c;
  }

  void check(const sim::ReferenceCard::RetryCounters& before, const std::optional<apdu::Command>& c,
             const apdu::Response& r) {
    const auto now = card.retry_counters();
    for (auto [left, max] : {std::pair{now.pin_left, now.pin_max}, std::pair{now.puk_left, now.puk_max}})
      if (max < 1 || max > 255 || left < 0 || left > max) fail("retry counter out of bounds");
    const bool ok = r.sw == sw::ok && c.has_value();
    const std::uint8_t ins = c ? c->ins : 0;
    const bool pin_may_rise = ok && (ins == apdu::ins::verify || ins == apdu::ins::change_reference ||
                                     ins == apdu::ins::reset_retry_counter || ins == apdu::ins::set_pin_retries ||
                                     ins == apdu::ins::reset);
    const bool puk_may_rise = ok && (ins == apdu::ins::change_reference || ins == apdu::ins::reset_retry_counter ||
                                     ins == apdu::ins::set_pin_retries || ins == apdu::ins::reset);
    if (now.pin_left > before.pin_left && !pin_may_rise) fail("PIN counter went up without a success");
    if (now.puk_left > before.puk_left && !puk_may_rise) fail("PUK counter went up without a success");
    if ((now.pin_max != before.pin_max || now.puk_max != before.puk_max) &&
        !(ok && (ins == apdu::ins::set_pin_retries || ins == apdu::ins::reset)))
      fail("PIN or PUK maximum changed");
    for (const Bytes* secret : {&m.pin, &m.puk, &m.key})
      if (fuzz::contains(r.data, *secret) && !fuzz::contains(m.written, *secret)) fail("a secret in a reply");
  }

  void round_trip() {
    card.save(path);
    const Bytes saved = files::read(path);
    sim::ReferenceCard loaded = sim::ReferenceCard::load(path);
    loaded.save(path);
    if (files::read(path) != saved) fail("state file does not round-trip");
    const auto a = card.retry_counters(), b = loaded.retry_counters();
    if (a.pin_left != b.pin_left || a.pin_max != b.pin_max || a.puk_left != b.puk_left || a.puk_max != b.puk_max)
      fail("counters differ after load");
    card = std::move(loaded);
    card.set_random(fill);
  }

  apdu::Response send(const apdu::Command& c) { return send(apdu::encode(c), false); }

  Bytes auth_template(std::initializer_list<std::pair<std::uint32_t, ByteView>> items) {
    Bytes inner;
    for (const auto& [tag, value] : items) tlv::append(inner, tag, value);
    return tlv::encode(piv::tag::dynamic_auth, inner);
  }

  // The value of tag `inner` inside 7C, or nullopt.
  static std::optional<Bytes> auth_item(const apdu::Response& r, std::uint32_t inner) {
    try {
      for (const auto& i : tlv::parse(tlv::expect(r.data, piv::tag::dynamic_auth)))
        if (i.tag == inner) return Bytes(i.value.begin(), i.value.end());
    } catch (const Error&) {
    }
    return std::nullopt;
  }

  // Whether the card will see a command of this INS as sent: no chained data of the same INS waits to be
  // prepended. Replies to the harness's own steps are held to the exact answer only then, and only when the PIV
  // application is selected (else 6D00).
  bool clean(std::uint8_t ins) const { return m.chain.empty() || m.chain_ins != ins; }

  void verify(bool right, std::uint8_t variant) {
    Bytes value = right ? m.pin : padded(std::string(6, static_cast<char>('0' + variant % 10)));
    if (!right && value == m.pin) value[0] ^= 0x01;
    const bool exact = clean(apdu::ins::verify);
    const auto before = card.retry_counters();
    const auto r = send(apdu::Command{0x00, apdu::ins::verify, 0x00, piv::keyref::pin, to_secure(value), std::nullopt});
    if (!exact || r.sw == sw::ins_not_supported) return;
    const auto now = card.retry_counters();
    if (before.pin_left == 0) {
      if (r.sw != sw::auth_blocked || now.pin_left != 0) fail("blocked PIN: VERIFY must answer 6983");
    } else if (right) {
      if (r.sw != sw::ok || now.pin_left != now.pin_max) fail("right PIN refused");
    } else if (now.pin_left != before.pin_left - 1 ||
               r.sw != (sw::verify_fail | std::min(now.pin_left, 15))) {
      fail("wrong PIN: counter must drop by one and 63Cx tell what is left");
    }
  }

  // GENERAL AUTHENTICATE with 9B: mutual (witness, then our challenge) or external (challenge, then the response).
  void admin_auth(bool mutual, bool right) {
    const auto& info = crypto::info(m.alg);
    const std::uint8_t ins = apdu::ins::general_authenticate;
    const std::uint32_t first_tag = mutual ? piv::tag::witness : piv::tag::challenge;
    bool exact = clean(ins);
    const auto r1 = send(apdu::Command{0x00, ins, info.piv_id, piv::keyref::management,
                                       to_secure(auth_template({{first_tag, ByteView()}})), 256});
    if (!exact || r1.sw == sw::ins_not_supported) return;
    const auto first = auth_item(r1, first_tag);
    if (r1.sw != sw::ok || !first || first->size() != info.block_length) fail("9B step 1 refused with the right key");
    SecureBytes answer = mutual ? crypto::decrypt_block(m.alg, m.key, *first)
                                : to_secure(crypto::encrypt_block(m.alg, m.key, *first));
    if (!right) answer[0] ^= 0x80;
    const Bytes challenge(info.block_length, 0xC3);
    const Bytes data = mutual ? auth_template({{piv::tag::witness, answer}, {piv::tag::challenge, challenge},
                                               {piv::tag::response, ByteView()}})
                              : auth_template({{piv::tag::response, answer}});
    exact = clean(ins);
    const auto r2 = send(apdu::Command{0x00, ins, info.piv_id, piv::keyref::management, to_secure(data), 256});
    if (!exact || r2.sw == sw::ins_not_supported) return;
    if (!right) {
      if (r2.sw != sw::security_status) fail("9B: a wrong answer must give 6982");
      return;
    }
    if (r2.sw != sw::ok) fail("9B: the right answer refused");
    if (mutual && auth_item(r2, piv::tag::response) != crypto::encrypt_block(m.alg, m.key, challenge))
      fail("9B: the card's answer to our challenge is wrong");
  }

  // A new PIN or PUK from an operand byte: 6 to 8 digits.
  static Bytes new_reference(std::uint8_t b) {
    std::string digits(6 + b % 3, '0');
    for (std::size_t i = 0; i < digits.size(); ++i) digits[i] = static_cast<char>('0' + (b + i * 7) % 10);
    return padded(digits);
  }

  void reset_retry_counter(std::uint8_t op) {
    const Bytes pin = new_reference(op >> 2);
    if (op & 0x01) {  // P1=02 after 9B: new PIN only; refused unless 9B authenticated on an admin-reset card
      send(apdu::Command{0x00, apdu::ins::reset_retry_counter, 0x02, piv::keyref::pin, to_secure(pin), std::nullopt});
      return;
    }
    const bool right = op & 0x02;
    Bytes puk = right ? m.puk : padded("00000000");
    if (!right && puk == m.puk) puk[0] ^= 0x01;
    const auto before = card.retry_counters();
    const bool exact = clean(apdu::ins::reset_retry_counter);
    const auto r = send(apdu::Command{0x00, apdu::ins::reset_retry_counter, 0x00, piv::keyref::pin,
                                      to_secure(concat({puk, pin})), std::nullopt});
    if (!exact || r.sw == sw::ins_not_supported) return;
    const auto now = card.retry_counters();
    if (before.puk_left == 0) {
      if (r.sw != sw::auth_blocked) fail("blocked PUK: RESET RETRY COUNTER must answer 6983");
    } else if (right) {
      if (r.sw != sw::ok || now.pin_left != now.pin_max || now.puk_left != now.puk_max || m.pin != pin)
        fail("unblock with the right PUK failed");
    } else if (now.puk_left != before.puk_left - 1 || now.pin_left != before.pin_left) {
      fail("wrong PUK: only the PUK counter drops, by one");
    }
  }

  void change_reference(std::uint8_t op) {
    const bool puk = op & 0x01, right = op & 0x02;
    Bytes& current = puk ? m.puk : m.pin;
    Bytes old = right ? current : padded("99999999");
    if (!right && old == current) old[0] ^= 0x01;
    const Bytes replacement = new_reference(op >> 2);
    const auto r = send(apdu::Command{0x00, apdu::ins::change_reference, 0x00,
                                      puk ? piv::keyref::puk : piv::keyref::pin, to_secure(concat({old, replacement})),
                                      std::nullopt});
    if (r.sw == sw::ok && (!right || current != replacement)) fail("CHANGE REFERENCE DATA accepted a wrong value");
  }

  // Selector low nibble: 2 right PIN, 3 wrong PIN, 4 mutual 9B, 5 external 9B (bit 7 set: the right answer),
  // 6 RESET RETRY COUNTER, 7 CHANGE REFERENCE DATA, 8 power cycle, anything else a raw APDU (2-byte length).
  void step(fuzz::Input& in) {
    const std::uint8_t op = in.byte();
    switch (op & 0x0F) {
      case 2: verify(true, 0); break;
      case 3: verify(false, in.byte()); break;
      case 4: admin_auth(true, op & 0x80); break;
      case 5: admin_auth(false, op & 0x80); break;
      case 6: reset_retry_counter(in.byte()); break;
      case 7: change_reference(in.byte()); break;
      case 8:  // power cycle: the session (and any chained data) is gone
        card.reset();
        m.chain.clear();
        break;
      default: send(in.take(in.u16() % 600), true); break;
    }
  }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::Input in(data, size);
  const std::uint8_t options = in.byte();
  const auto alg = static_cast<crypto::AdminAlgorithm>(options & 0x03);
  sim::CardOptions o{.serial = options & 0x08 ? 0u : 1u, .management_algorithm = alg,
                     .admin_pin_reset = (options & 0x04) != 0};
  Harness h{sim::ReferenceCard::factory(o), {}};
  h.m.factory(alg);
  h.card.set_random(fill);
  for (std::size_t i = 0; i < kMaxSteps && !in.empty(); ++i) h.step(in);
  std::remove(h.path.c_str());
  return 0;
}
