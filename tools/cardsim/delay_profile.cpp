#include "delay_profile.hpp"

#include "cardctl/apdu.hpp"
#include "cardctl/error.hpp"
#include "cardctl/tlv.hpp"

namespace cardsim {

namespace {

using std::chrono::microseconds;

// PIV algorithm ids (SP 800-78-4 Table 6-2; YubiKey 5.7 for RSA 3072/4096, Ed25519, X25519).
constexpr std::uint8_t kTdes = 0x03, kAes128 = 0x08, kAes192 = 0x0A, kAes256 = 0x0C;
constexpr std::uint8_t kRsa1024 = 0x06, kRsa2048 = 0x07, kRsa3072 = 0x05, kRsa4096 = 0x16;
constexpr std::uint8_t kP256 = 0x11, kP384 = 0x14, kEd25519 = 0xE0, kX25519 = 0xE1;
constexpr std::uint8_t kAsymmetric[] = {kRsa1024, kRsa2048, kRsa3072, kRsa4096, kP256, kP384, kEd25519, kX25519};

constexpr std::uint8_t kChainBit = 0x10;
constexpr std::uint32_t kGenTemplate = 0xAC, kGenAlgorithm = 0x80;

bool symmetric(std::uint8_t alg) { return alg == kTdes || alg == kAes128 || alg == kAes192 || alg == kAes256; }

// A YubiKey 5 over USB CCID. Every figure, its source and how it was derived is in the table of
// docs/architecture.md#reference-card; keep the two in step.
//  - apdu and sign: measured (jsign's PIV benchmark, YubiKey 5 NFC, firmware 5.1.2, JMH mean of 10). A sign figure
//    is the measured GENERAL AUTHENTICATE round trip less the measured APDU round trip, which delay_for adds back.
//  - keygen: estimates, no published measurement found. RSA: two prime searches of about 45 (2048) or 23 (1024)
//    modular exponentiations each, at half the measured CRT signature time apiece. EC: one scalar multiplication,
//    taken as the measured ECDSA signature time.
//  - admin: an estimate (one 3DES/AES block on the chip's engine; well under the APDU round trip).
DelayProfile yubikey5() {
  constexpr long kApdu = 1257;
  constexpr long kSignRsa1024 = 56238 - kApdu, kSignRsa2048 = 138491 - kApdu;
  constexpr long kSignP256 = 71572 - kApdu, kSignP384 = 118563 - kApdu;
  DelayProfile p;
  p.apdu = microseconds(kApdu);
  p.sign = {{kRsa1024, microseconds(kSignRsa1024)},
            {kRsa2048, microseconds(kSignRsa2048)},
            {kP256, microseconds(kSignP256)},
            {kP384, microseconds(kSignP384)}};
  p.keygen = {{kRsa1024, microseconds(1'300'000)},
              {kRsa2048, microseconds(6'500'000)},
              {kP256, microseconds(kSignP256)},
              {kP384, microseconds(kSignP384)}};
  p.admin = microseconds(1000);
  return p;
}

// The algorithm byte of a GENERATE command: AC L { 80 01 alg, AA .., AB .. }.
std::optional<std::uint8_t> generate_algorithm(cardctl::ByteView data) {
  const auto template_value = cardctl::tlv::find(data, kGenTemplate);
  if (!template_value) return std::nullopt;
  const auto alg = cardctl::tlv::find(*template_value, kGenAlgorithm);
  if (!alg || alg->size() != 1) return std::nullopt;
  return (*alg)[0];
}

microseconds lookup(const std::map<std::uint8_t, microseconds>& figures, std::uint8_t alg) {
  const auto it = figures.find(alg);
  return it == figures.end() ? microseconds(0) : it->second;
}

}  // namespace

const std::vector<std::string>& profile_names() {
  static const std::vector<std::string> names{"none", "yubikey5"};
  return names;
}

std::string profile_list() {
  std::string list;
  for (const auto& n : profile_names()) list += (list.empty() ? "" : ", ") + n;
  return list;
}

DelayProfile profile(const std::string& name) {
  if (name == "none") return DelayProfile{};
  if (name == "yubikey5") return yubikey5();
  throw cardctl::Error(cardctl::ErrorKind::usage,
                       "unknown delay profile '" + name + "'; valid profiles: " + profile_list());
}

DelayProfile with_overrides(DelayProfile p, const DelayOverrides& o) {
  using std::chrono::milliseconds;
  if (o.apdu_ms) p.apdu = milliseconds(*o.apdu_ms);
  for (const std::uint8_t alg : kAsymmetric) {
    if (o.keygen_ms) p.keygen[alg] = milliseconds(*o.keygen_ms);
    if (o.sign_ms) p.sign[alg] = milliseconds(*o.sign_ms);
  }
  return p;
}

microseconds delay_for(const cardctl::Bytes& command, std::uint16_t sw, const DelayProfile& p) {
  cardctl::apdu::Command c;
  try {
    c = cardctl::apdu::parse_command(command);
  } catch (const cardctl::Error&) {
    return p.apdu;
  }
  const bool done = sw == cardctl::apdu::sw::ok || (sw & 0xFF00) == cardctl::apdu::sw::bytes_remaining;
  if (!done || (c.cla & kChainBit) != 0) return p.apdu;  // refused, or a block the card only buffers
  if (c.ins == cardctl::apdu::ins::generate_key) {
    std::optional<std::uint8_t> alg;
    try {
      alg = generate_algorithm(c.data);
    } catch (const cardctl::Error&) {
    }
    return alg ? p.apdu + lookup(p.keygen, *alg) : p.apdu;
  }
  if (c.ins == cardctl::apdu::ins::general_authenticate) {
    // P1 is the algorithm: a symmetric one is the 9B management key's witness/challenge; an asymmetric one did a
    // private-key operation (the card answers 9000 to nothing else; the last block of a chain lands here too).
    return p.apdu + (symmetric(c.p1) ? p.admin : lookup(p.sign, c.p1));
  }
  return p.apdu;
}

}  // namespace cardsim
