#include "exit_codes.hpp"

#include <string>

namespace cardctl::cli {

ExitCode exit_code_for(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::usage: return ExitCode::usage;
    case ErrorKind::wrong_pin:
    case ErrorKind::auth_failed: return ExitCode::wrong_secret;
    case ErrorKind::blocked: return ExitCode::blocked;
    case ErrorKind::policy: return ExitCode::refused;
    case ErrorKind::not_found: return ExitCode::not_found;
    case ErrorKind::io: return ExitCode::io;
    case ErrorKind::security_status:
    case ErrorKind::wrong_data:
    case ErrorKind::unsupported:
    case ErrorKind::card_removed:
    case ErrorKind::transport:
    case ErrorKind::protocol: return ExitCode::card;
    case ErrorKind::conflict: return ExitCode::conflict;
    case ErrorKind::partial: return ExitCode::partial;
    case ErrorKind::crypto:
    case ErrorKind::internal: return ExitCode::internal;
  }
  return ExitCode::internal;
}

std::string exit_code_summary() {
  std::string out;
  for (const auto& row : kExitCodes) {
    if (!out.empty()) out += ", ";
    out += std::to_string(static_cast<int>(row.code)) + " " + std::string(row.name);
  }
  return out;
}

}  // namespace cardctl::cli
