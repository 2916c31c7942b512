// The reason an operator gives for an audited change (revoke, clear-lockout): required, one line, trimmed.
// Internal to cardctl_lifecycle.
#pragma once

#include <string>

#include "cardctl/audit.hpp"
#include "cardctl/error.hpp"

namespace cardctl::lifecycle {

/// Error(usage) with `empty_message` and `hint` for a blank reason, and for a control character in it.
inline std::string checked_reason(const std::string& given, const std::string& empty_message, const std::string& hint) {
  auto first = given.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) throw Error(ErrorKind::usage, empty_message, hint);
  auto last = given.find_last_not_of(" \t\r\n");
  std::string reason = given.substr(first, last - first + 1);
  for (unsigned char c : reason)
    if (c < 0x20 || c == 0x7f)
      throw Error(ErrorKind::usage, "the reason contains a control character", "give it as one line of text");
  if (!store::is_utf8_text(reason))
    throw Error(ErrorKind::usage, "the reason is not UTF-8 text", "give it as one line of UTF-8 text");
  return reason;
}

}  // namespace cardctl::lifecycle
