// How long a real card takes to answer, for `cardsim serve --profile` (docs/architecture.md#reference-card): one
// struct of figures and one function that reads a command (and the status the card answered it with) and says how
// long to wait before the answer goes out. The figures are what the real card takes in total; the reference card's
// own work (real OpenSSL keys) comes on top.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cardctl/bytes.hpp"

namespace cardsim {

struct DelayProfile {
  /// Every APDU: the USB CCID round trip and the card's dispatch.
  std::chrono::microseconds apdu{0};
  /// On top of `apdu` for a GENERATE ASYMMETRIC KEY PAIR that succeeded, by PIV algorithm id (AC 80 <alg>).
  std::map<std::uint8_t, std::chrono::microseconds> keygen;
  /// On top of `apdu` for a GENERAL AUTHENTICATE that used a private key (sign, decipher, ECDH), by algorithm (P1).
  std::map<std::uint8_t, std::chrono::microseconds> sign;
  /// On top of `apdu` for a GENERAL AUTHENTICATE step with the symmetric management key (P1 03, 08, 0A, 0C).
  std::chrono::microseconds admin{0};
};

/// The profile names `--profile` takes, in the order --help lists them: "none", "yubikey5".
const std::vector<std::string>& profile_names();
/// The same, as one line: "none, yubikey5".
std::string profile_list();

/// The named profile. Error(usage) naming the valid ones for any other name.
DelayProfile profile(const std::string& name);

/// Explicit figures from the command line; each replaces the profile's own (keygen and sign for every algorithm).
struct DelayOverrides {
  std::optional<unsigned> apdu_ms{};
  std::optional<unsigned> keygen_ms{};
  std::optional<unsigned> sign_ms{};
};
DelayProfile with_overrides(DelayProfile profile, const DelayOverrides& overrides);

/// The delay for one command APDU, given the status word the card answered it with: apdu for every command, plus
/// the keygen, sign or admin figure when the card did that work. A command the card refused (any status but 9000 or
/// 61xx), a block of a chain (CLA 10) and a malformed APDU get the apdu figure only.
std::chrono::microseconds delay_for(const cardctl::Bytes& command, std::uint16_t sw, const DelayProfile& profile);

}  // namespace cardsim
