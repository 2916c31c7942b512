// The one status-word decoder (ISO 7816-4 §5.1.3, SP 800-73-4 Part 2 §3 tables).
#include <cstdio>
#include <string>

#include "cardctl/apdu.hpp"

namespace cardctl::apdu {

namespace {
struct Meaning {
  std::uint16_t sw;
  ErrorKind kind;
  const char* text;
};

constexpr Meaning kTable[] = {
    {sw::auth_blocked, ErrorKind::blocked, "blocked"},
    {sw::security_status, ErrorKind::security_status, "security status not satisfied (PIN or admin key needed)"},
    {sw::conditions, ErrorKind::wrong_data, "conditions of use not satisfied"},
    {sw::not_found, ErrorKind::not_found, "not found on the card"},
    {sw::incorrect_data, ErrorKind::wrong_data, "the card refused the data (incorrect parameters in the data field)"},
    {sw::wrong_length, ErrorKind::wrong_data, "wrong length"},
    {sw::wrong_p1p2_6a86, ErrorKind::wrong_data, "incorrect parameters P1-P2"},
    {sw::wrong_p1p2, ErrorKind::wrong_data, "wrong parameters P1-P2"},
    {sw::ref_not_found, ErrorKind::not_found, "referenced data not found"},
    {sw::no_space, ErrorKind::wrong_data, "not enough memory on the card"},
    {sw::func_not_supported, ErrorKind::unsupported, "function not supported by this card"},
    {sw::ins_not_supported, ErrorKind::unsupported, "instruction not supported by this card"},
    {sw::cla_not_supported, ErrorKind::unsupported, "class not supported by this card"},
    {sw::chaining_unsupported, ErrorKind::unsupported, "command chaining not supported"},
    {sw::last_cmd_expected, ErrorKind::protocol, "last command of the chain expected"},
    {sw::no_info, ErrorKind::protocol, "the card reported an error with no further information"},
};

std::string hex4(std::uint16_t sw) {
  char buf[5];
  std::snprintf(buf, sizeof buf, "%04X", sw);
  return buf;
}
}  // namespace

std::string describe_sw(std::uint16_t value) {
  if (value == sw::ok) return "9000 (success)";
  if ((value & 0xFF00) == sw::bytes_remaining) return hex4(value) + " (more response data)";
  if ((value & 0xFFF0) == sw::verify_fail)
    return hex4(value) + " (verification failed, " + std::to_string(value & 0x0F) + " tries left)";
  for (const auto& m : kTable)
    if (m.sw == value) return hex4(value) + " (" + m.text + ")";
  return hex4(value) + " (unknown status)";
}

Error error_for_sw(std::uint16_t value, const std::string& what) {
  if ((value & 0xFFF0) == sw::verify_fail || (value & 0xFFF0) == 0x6300) {
    int left = value & 0x0F;
    return Error(ErrorKind::wrong_pin, what + ": the card refused the value (" + std::to_string(left) +
                                           (left == 1 ? " try left)" : " tries left)"))
        .with_retries(left)
        .with_sw(value);
  }
  for (const auto& m : kTable)
    if (m.sw == value) return Error(m.kind, what + ": " + m.text).with_sw(value);
  return Error(ErrorKind::protocol, what + ": the card answered " + hex4(value)).with_sw(value);
}

void check(const Response& r, const std::string& what) {
  if (!r.ok()) throw error_for_sw(r.sw, what);
}

}  // namespace cardctl::apdu
