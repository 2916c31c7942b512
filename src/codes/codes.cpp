#include "cardctl/codes.hpp"

#include <cctype>
#include <string>

#include "cardctl/error.hpp"

namespace cardctl::codes {

std::uint16_t crc16_ccitt_false(ByteView data) {
  std::uint16_t crc = 0xFFFF;
  for (auto byte : data) {
    crc ^= static_cast<std::uint16_t>(byte << 8);
    for (int i = 0; i < 8; ++i) crc = (crc & 0x8000) ? static_cast<std::uint16_t>(crc << 1 ^ 0x1021) : crc << 1;
  }
  return crc;
}

std::uint16_t check_of(std::string_view card_id, ByteView bytes) {
  return crc16_ccitt_false(concat({view(card_id), bytes}));
}

namespace {
std::string group(std::string_view digits) {
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i != 0 && i % 4 == 0) out.push_back(' ');
    out.push_back(digits[i]);
  }
  return out;
}

std::string check_hex(std::uint16_t check) {
  std::uint8_t b[2] = {static_cast<std::uint8_t>(check >> 8), static_cast<std::uint8_t>(check)};
  return to_hex_upper(b);
}

// Upper-case hex digits of the input; spaces and dashes dropped; anything else is an error.
std::string normalise(std::string_view input) {
  std::string digits;
  // What format() displays may be pasted back: "C258 0945 CEC5 638C  check 1769".
  std::string text(input);
  for (auto pos = text.find("check"); pos != std::string::npos; pos = text.find("check")) text.erase(pos, 5);
  for (auto pos = text.find("CHECK"); pos != std::string::npos; pos = text.find("CHECK")) text.erase(pos, 5);
  for (char c : text) {
    if (c == ' ' || c == '-' || c == '\t') continue;
    if (!std::isxdigit(static_cast<unsigned char>(c)))
      throw Error(ErrorKind::usage, std::string("'") + c + "' is not a hex digit (0-9, A-F)",
                  "type the code again: digits 0-9 and letters A-F only");
    digits.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  return digits;
}

bool matches(std::string_view digits_with_check, std::string_view card_id, std::size_t n) {
  Bytes code = from_hex(digits_with_check.substr(0, 2 * n));
  return check_hex(check_of(card_id, code)) == digits_with_check.substr(2 * n);
}

std::string display_with_check(std::string_view digits, std::size_t n) {
  return group(digits.substr(0, 2 * n)) + "  check " + std::string(digits.substr(2 * n));
}
}  // namespace

std::string group_hex(ByteView bytes) { return group(to_hex_upper(bytes)); }

std::string Formatted::display() const { return code + "  check " + check; }

Formatted format(std::string_view card_id, ByteView bytes) {
  return {group_hex(bytes), check_hex(check_of(card_id, bytes))};
}

std::vector<Suggestion> suggestions(std::string_view typed, std::string_view card_id, std::size_t n) {
  std::string digits = normalise(typed);
  std::vector<Suggestion> out;
  if (digits.size() != 2 * n + 4) return out;
  static const char kHex[] = "0123456789ABCDEF";
  for (std::size_t i = 0; i < digits.size(); ++i) {
    for (char c : std::string_view(kHex, 16)) {
      if (c == digits[i]) continue;
      std::string candidate = digits;
      candidate[i] = c;
      if (matches(candidate, card_id, n))
        out.push_back({display_with_check(candidate, n),
                       "digit " + std::to_string(i + 1) + ": " + digits[i] + " -> " + c});
    }
  }
  for (std::size_t i = 0; i + 1 < digits.size(); ++i) {
    if (digits[i] == digits[i + 1]) continue;
    std::string candidate = digits;
    std::swap(candidate[i], candidate[i + 1]);
    if (matches(candidate, card_id, n))
      out.push_back({display_with_check(candidate, n),
                     "digits " + std::to_string(i + 1) + "-" + std::to_string(i + 2) + " swapped"});
  }
  return out;
}

Parsed parse(std::string_view input, std::string_view card_id, std::size_t n, bool no_check) {
  std::string digits = normalise(input);
  const std::size_t expected = no_check ? 2 * n : 2 * n + 4;
  if (digits.size() != expected) {
    std::string what = no_check ? " without a check (--no-check)" : " with the 4-digit check";
    std::string hint = "read the code again, four digits at a time";
    if (!no_check && digits.size() == 2 * n)
      hint += ": a group may be missing; only a code shown without a check (Windows' unblock screen) is typed "
              "without one, with --no-check";
    if (no_check && digits.size() == 2 * n + 4) hint += "; a code with its check is typed without --no-check";
    throw Error(ErrorKind::usage,
                "the code has " + std::to_string(digits.size()) + " hex digits; expected " +
                    std::to_string(expected) + what,
                hint);
  }
  Parsed parsed;
  parsed.bytes = from_hex(std::string_view(digits).substr(0, 2 * n));
  if (!no_check && !matches(digits, card_id, n)) {
    std::string hint;
    auto candidates = suggestions(digits, card_id, n);
    if (candidates.empty()) {
      hint = "no single typo explains it: check that this is card " + std::string(card_id) +
             ", then read the whole code again";
    } else {
      hint = "did you mean ";
      for (std::size_t i = 0; i < candidates.size(); ++i) {
        if (i != 0) hint += ", or ";
        hint += candidates[i].code + " (" + candidates[i].description + ")";
      }
      hint += "?";
    }
    throw Error(ErrorKind::usage,
                "the check does not match the code for card " + std::string(card_id) +
                    ": a digit was mistyped, or the code is for another card",
                hint);
  }
  return parsed;
}

}  // namespace cardctl::codes
