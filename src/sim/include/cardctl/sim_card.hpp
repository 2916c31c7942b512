// The reference card (src/sim): a software PIV card, pure logic, APDU in -> APDU out, with its state in a
// file. Faithful enough that yubico-piv-tool 2.2.0 and OpenSC 0.23 work against it unchanged
// (docs/protocol.md). Factory state = YubiKey defaults.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "cardctl/bytes.hpp"
#include "cardctl/crypto.hpp"

namespace cardctl::sim {

struct CardOptions {
  std::uint32_t serial = 0;  // 0 = the card reports no serial (GET SERIAL answers 6D00), card_id is the GUID
  int version_major = 5, version_minor = 4, version_patch = 3;
  crypto::AdminAlgorithm management_algorithm = crypto::AdminAlgorithm::tdes;
  /// The card accepts RESET RETRY COUNTER P1=02 after 9B authentication (docs/protocol.md#reset-retry-counter).
  bool admin_pin_reset = true;
};

class ReferenceCardImpl;

class ReferenceCard {
 public:
  /// A card in its factory state (YubiKey defaults: PIN 123456, PUK 12345678, 3 tries each, default 9B key).
  static ReferenceCard factory(const CardOptions& options);
  /// Loads a state file; Error(not_found) if missing, Error(io) with the path if unreadable or malformed.
  static ReferenceCard load(const std::string& path);
  /// Writes the state atomically (temp file 0600, fsync, rename).
  void save(const std::string& path) const;

  /// Processes one C-APDU and returns the R-APDU (data || SW1 SW2). Never throws for bad input: malformed
  /// APDUs get the matching ISO status word.
  Bytes process(ByteView command);
  /// Power-on/reset: clears the session state (PIN verified, 9B authenticated, pending challenge, selection).
  void reset();
  Bytes atr() const;

  /// Fault injection: after `n` more APDUs the card vanishes (process() then throws Error(card_removed)).
  void vanish_after(std::optional<std::uint64_t> n);
  bool vanished() const;
  /// Puts a vanished card back (fresh session, fault cleared).
  void reappear();

  const CardOptions& options() const;
  /// The PIN and PUK retry counters, read only (the fuzz targets check their invariants after every APDU).
  struct RetryCounters {
    int pin_left = 0, pin_max = 0, puk_left = 0, puk_max = 0;
  };
  RetryCounters retry_counters() const;
  /// Replaces the random source (tests pin challenges and witnesses with it). Not saved in the state file.
  void set_random(crypto::RandomSource random);

  ReferenceCard(ReferenceCard&&) noexcept;
  ReferenceCard& operator=(ReferenceCard&&) noexcept;
  ~ReferenceCard();

 private:
  explicit ReferenceCard(std::unique_ptr<ReferenceCardImpl> impl);
  std::unique_ptr<ReferenceCardImpl> impl_;
};

}  // namespace cardctl::sim
