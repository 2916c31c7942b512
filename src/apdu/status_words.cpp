// The one status-word decoder (docs/architecture.md#errors): ISO 7816-4 §5.1.3 (Tables 5-6) and SP 800-73-4 Part 2 §3
// (the status words each PIV command may return). One table feeds both the user's error and the trace text.
#include <cstdio>
#include <string>

#include "cardctl/apdu.hpp"

namespace cardctl::apdu {

namespace {
struct Meaning {
  std::uint16_t sw;
  ErrorKind kind;
  const char* iso;   // the standard's name, for the trace and --verbose: "6A82 (file or application not found)"
  const char* user;  // for the error message: what happened, in words a card holder or operator reads
};

constexpr Meaning kTable[] = {
    {sw::auth_blocked, ErrorKind::blocked, "authentication method blocked", "blocked (no tries left)"},
    {sw::security_status, ErrorKind::security_status, "security status not satisfied",
     "security status not satisfied (PIN or admin key needed)"},
    {sw::conditions, ErrorKind::wrong_data, "conditions of use not satisfied",
     "the card refused: conditions of use not satisfied"},
    {sw::not_found, ErrorKind::not_found, "file or application not found",
     "not found (no such application or object on the card)"},
    {sw::ref_not_found, ErrorKind::not_found, "referenced data not found",
     "not found (no such key or reference on the card)"},
    {sw::incorrect_data, ErrorKind::wrong_data, "incorrect parameters in the data field",
     "the card refused the data (incorrect data field)"},
    {sw::wrong_length, ErrorKind::wrong_data, "wrong length", "the card refused the command (wrong length)"},
    {sw::wrong_p1p2_6a86, ErrorKind::wrong_data, "incorrect parameters P1-P2",
     "the card refused the command (incorrect parameters P1-P2)"},
    {sw::wrong_p1p2, ErrorKind::wrong_data, "wrong parameters P1-P2",
     "the card refused the command (wrong parameters P1-P2)"},
    {sw::no_space, ErrorKind::wrong_data, "not enough memory space", "not enough memory on the card"},
    {sw::func_not_supported, ErrorKind::unsupported, "function not supported", "this card does not support it"},
    {sw::ins_not_supported, ErrorKind::unsupported, "instruction not supported",
     "this card does not support the command"},
    {sw::cla_not_supported, ErrorKind::unsupported, "class not supported",
     "this card does not support the command class"},
    {sw::chaining_unsupported, ErrorKind::unsupported, "command chaining not supported",
     "this card does not support command chaining"},
    {sw::last_cmd_expected, ErrorKind::protocol, "last command of the chain expected",
     "the card expected the last command of a chain"},
    {sw::no_info, ErrorKind::protocol, "no precise diagnosis", "the card failed without saying why"},
};

const Meaning* lookup(std::uint16_t value) {
  for (const auto& m : kTable)
    if (m.sw == value) return &m;
  return nullptr;
}

std::string hex4(std::uint16_t value) {
  char buf[5];
  std::snprintf(buf, sizeof buf, "%04X", value);
  return buf;
}

std::string tries(int left) {
  if (left == 0) return "no tries left";
  return std::to_string(left) + (left == 1 ? " try left" : " tries left");
}

// 63Cx: verification failed, x = tries left (ISO 7816-4 §5.1.3 Table 6; SP 800-73-4 Part 2 §3.2.1).
bool is_counter(std::uint16_t value) { return (value & 0xFFF0) == sw::verify_fail; }
}  // namespace

std::string describe_sw(std::uint16_t value) {
  const std::string code = hex4(value);
  if (value == sw::ok) return code + " (success)";
  if ((value & 0xFF00) == sw::bytes_remaining) {
    const int n = value & 0xFF;
    return code + " (" + (n == 0 ? std::string("256 or more") : std::to_string(n)) + " response bytes remain)";
  }
  if ((value & 0xFF00) == sw::wrong_le) return code + " (wrong Le, " + std::to_string(value & 0xFF) + " bytes available)";
  if (is_counter(value)) return code + " (verification failed, " + tries(value & 0x0F) + ")";
  if (value == sw::verify_fail_no_info) return code + " (verification failed)";
  if (const Meaning* m = lookup(value)) return code + " (" + m->iso + ")";
  return code + " (unknown status)";
}

Error error_for_sw(std::uint16_t value, const std::string& what) {
  if (is_counter(value)) {
    const int left = value & 0x0F;
    return Error(ErrorKind::wrong_pin, what + ": the card refused: wrong PIN/PUK (" + tries(left) + ")")
        .with_retries(left)
        .with_sw(value);
  }
  if (value == sw::verify_fail_no_info)  // no counter given: the tries left stay unknown
    return Error(ErrorKind::wrong_pin, what + ": the card refused: verification failed").with_sw(value);
  if (const Meaning* m = lookup(value)) {
    Error e(m->kind, what + ": " + m->user);
    if (value == sw::auth_blocked) e.with_retries(0);
    return e.with_sw(value);
  }
  return Error(ErrorKind::protocol, what + ": the card answered with status " + hex4(value) + ", which cardctl does not know")
      .with_sw(value);
}

void check(const Response& r, const std::string& what) {
  if (!r.ok()) throw error_for_sw(r.sw, what);
}

}  // namespace cardctl::apdu
