// Layer 9: what a card holds, read without changing anything (`cardctl status`, cardctl-status(1)): its identity,
// the PIN and PUK counters, the management key, the CHUID, and the keys and certificates in its slots. Only reads:
// GET DATA, GET METADATA, GET SERIAL and VERSION, and an empty VERIFY, which reports the PIN counter without
// spending a try (SP 800-73-4 Part 2 §3.2.1).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cardctl/piv.hpp"
#include "cardctl/x509.hpp"

namespace cardctl::lifecycle {

struct SlotStatus {
  std::uint8_t slot = 0;
  std::optional<piv::SlotInfo> key;
  std::optional<crypto::CertSummary> certificate;
};

struct CardStatus {
  std::string reader;
  std::optional<std::string> card_id;  // nullopt: neither a serial nor a CHUID
  std::optional<std::uint32_t> serial;
  std::optional<std::string> version;
  piv::RetryInfo pin;
  piv::RetryInfo puk;
  piv::ManagementKeyInfo management;
  std::optional<std::string> chuid_guid;
  std::vector<SlotStatus> slots;  // those with a key or a certificate, in SP 800-73-4 Part 1 Table 4b order
  bool retired_slots_read = true;  // false: the key history object counts no retired key, and 82-95 were skipped
};

/// Reads the card in an open session. On a card with GET METADATA, a retired slot (82-95) whose metadata shows
/// no key is skipped without reading its certificate, and the retired slots are not read at all when the key
/// history object is missing or counts no retired key, unless all_retired_slots.
CardStatus read_card_status(piv::PivSession& session, bool all_retired_slots = false);

}  // namespace cardctl::lifecycle
