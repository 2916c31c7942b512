// Layer 3: codes read over the phone (docs/architecture.md#codes). Upper-case hex in groups of four, then a 4-hex-digit
// check: CRC-16/CCITT-FALSE over ASCII(card_id) || code bytes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cardctl/bytes.hpp"

namespace cardctl::codes {

/// CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final xor).
std::uint16_t crc16_ccitt_false(ByteView data);

/// The check of a code bound to a card: CRC over ASCII(card_id) || bytes.
std::uint16_t check_of(std::string_view card_id, ByteView bytes);

/// "1DE9 4A2B 77C0 13F5" (groups of four upper-case hex digits).
std::string group_hex(ByteView bytes);

struct Formatted {
  std::string code;   // "C258 0945 CEC5 638C"
  std::string check;  // "1769"
  /// "C258 0945 CEC5 638C  check 1769"
  std::string display() const;
};
Formatted format(std::string_view card_id, ByteView bytes);

/// A suggestion for a mistyped code: the corrected digits, grouped, and what changed.
struct Suggestion {
  std::string code;         // grouped like format()
  std::string description;  // "digit 7: 4 -> A" or "digits 3-4 swapped"
};

struct Parsed {
  Bytes bytes;
};

/// Parses user input: any case, spaces and dashes ignored. expected_length is the number of code bytes
/// (8 for TDES, 16 for AES). The 4-hex-digit check must follow unless no_check says the code was shown
/// without one (Windows' own unblock screen): it is never inferred from the length, since a code with its
/// check that lost one group of four has exactly the length of a code without a check. Throws Error(usage)
/// with the expected length when the number of digits is wrong; when the check does not match, throws
/// Error(usage) whose message says so and whose hint lists the single-digit substitutions and adjacent swaps
/// of the whole input (code and check) that would satisfy it.
Parsed parse(std::string_view input, std::string_view card_id, std::size_t expected_length, bool no_check = false);

/// The substitutions/swaps of (code digits || check digits) that make the check match; empty if none.
std::vector<Suggestion> suggestions(std::string_view hex_digits_with_check, std::string_view card_id,
                                    std::size_t expected_length);

}  // namespace cardctl::codes
