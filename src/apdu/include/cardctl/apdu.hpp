// Layer 4: command/response APDUs (ISO 7816-4 §5.1). Short and extended length; parsing of all four cases
// for the reference card; status words mapped to cardctl::Error in one place.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "cardctl/bytes.hpp"
#include "cardctl/error.hpp"

namespace cardctl::apdu {

/// Status words used across the project (ISO 7816-4 §5.1.3, SP 800-73-4 Part 2 §3).
namespace sw {
inline constexpr std::uint16_t ok = 0x9000;
inline constexpr std::uint16_t bytes_remaining = 0x6100;      // 61xx
inline constexpr std::uint16_t wrong_le = 0x6C00;             // 6Cxx
inline constexpr std::uint16_t verify_fail = 0x63C0;          // 63Cx
inline constexpr std::uint16_t verify_fail_no_info = 0x6300;  // verification failed, no counter given
inline constexpr std::uint16_t wrong_length = 0x6700;
inline constexpr std::uint16_t security_status = 0x6982;
inline constexpr std::uint16_t auth_blocked = 0x6983;
inline constexpr std::uint16_t conditions = 0x6985;
inline constexpr std::uint16_t incorrect_data = 0x6A80;
inline constexpr std::uint16_t func_not_supported = 0x6A81;
inline constexpr std::uint16_t not_found = 0x6A82;
inline constexpr std::uint16_t no_space = 0x6A84;
inline constexpr std::uint16_t wrong_p1p2_6a86 = 0x6A86;
inline constexpr std::uint16_t ref_not_found = 0x6A88;
inline constexpr std::uint16_t wrong_p1p2 = 0x6B00;
inline constexpr std::uint16_t ins_not_supported = 0x6D00;
inline constexpr std::uint16_t cla_not_supported = 0x6E00;
inline constexpr std::uint16_t no_info = 0x6F00;
inline constexpr std::uint16_t chaining_unsupported = 0x6884;
inline constexpr std::uint16_t last_cmd_expected = 0x6883;
}  // namespace sw

/// INS codes (SP 800-73-4 Part 2 Table 9, ISO 7816-4, and the YubiKey PIV extensions).
namespace ins {
inline constexpr std::uint8_t select = 0xA4;
inline constexpr std::uint8_t get_response = 0xC0;
inline constexpr std::uint8_t verify = 0x20;
inline constexpr std::uint8_t change_reference = 0x24;
inline constexpr std::uint8_t reset_retry_counter = 0x2C;
inline constexpr std::uint8_t general_authenticate = 0x87;
inline constexpr std::uint8_t generate_key = 0x47;
inline constexpr std::uint8_t get_data = 0xCB;
inline constexpr std::uint8_t put_data = 0xDB;
// YubiKey extensions
inline constexpr std::uint8_t set_management_key = 0xFF;
inline constexpr std::uint8_t import_key = 0xFE;
inline constexpr std::uint8_t get_version = 0xFD;
inline constexpr std::uint8_t reset = 0xFB;
inline constexpr std::uint8_t set_pin_retries = 0xFA;
inline constexpr std::uint8_t attest = 0xF9;
inline constexpr std::uint8_t get_serial = 0xF8;
inline constexpr std::uint8_t get_metadata = 0xF7;
}  // namespace ins

struct Command {
  std::uint8_t cla = 0x00;
  std::uint8_t ins = 0;
  std::uint8_t p1 = 0;
  std::uint8_t p2 = 0;
  /// Self-wiping: the data field may be a PIN, PUK or key (SP 800-73-4 Part 2 §3.2), and every copy of a
  /// command (chained blocks, re-sends, the encoded APDU) is wiped when freed, whatever the way out.
  SecureBytes data;
  /// Expected response length; nullopt = no Le (case 1/3). 256 (short) / 65536 (extended) = "all" (Le 00).
  std::optional<std::size_t> le;
  /// The data field holds a secret (PIN, PUK, key): masked in the trace.
  bool secret_data = false;
  /// The response data holds a secret (a 9B witness or challenge is not secret; keys are): masked in the trace.
  bool secret_response = false;
};

struct Response {
  Bytes data;
  std::uint16_t sw = 0;
  bool ok() const { return sw == sw::ok; }
  std::uint8_t sw1() const { return static_cast<std::uint8_t>(sw >> 8); }
  std::uint8_t sw2() const { return static_cast<std::uint8_t>(sw & 0xFF); }
};

/// Encodes cmd; extended length when requested or when data > 255 bytes or le > 256. Self-wiping, as the data.
SecureBytes encode(const Command& cmd, bool extended = false);

/// Parses a C-APDU (cases 1, 2, 3, 4, short and extended). A 5-byte APDU is case 2 (Le = P3, 00 = 256).
/// Throws Error(wrong_data) on a malformed APDU; the reference card answers 6700 then.
Command parse_command(ByteView raw);

/// Splits an R-APDU into data and status word. Throws Error(protocol) when shorter than 2 bytes.
Response parse_response(ByteView raw);
Bytes encode_response(const Response& r);

/// Text for a status word, for the trace and --verbose: "9000 (success)", "63C2 (verification failed, 2 tries
/// left)", "6A82 (file or application not found)", "6999 (unknown status)".
std::string describe_sw(std::uint16_t sw);

/// The one status-word decoder (docs/architecture.md#errors). Returns the Error for a non-success status word of a
/// given operation (what = "verifying the PIN", used as context): "verifying the PIN: the card refused: wrong PIN/PUK
/// (2 tries left)". 63Cx -> wrong_pin with retries x; 6300 -> wrong_pin, retries unknown; 6983 -> blocked
/// (retries 0); 6982 -> security_status; 6A82/6A88 -> not_found; 6A80/6700/6A86/6B00/6985/6A84 -> wrong_data;
/// 6D00/6A81/6E00/6884 -> unsupported; others -> protocol. Always carries the status word.
Error error_for_sw(std::uint16_t sw, const std::string& what);

/// Throws error_for_sw when r is not 9000.
void check(const Response& r, const std::string& what);

}  // namespace cardctl::apdu
