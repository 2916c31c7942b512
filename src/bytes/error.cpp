#include "cardctl/error.hpp"

namespace cardctl {

ExitCode exit_code_for(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::usage: return ExitCode::usage;
    case ErrorKind::wrong_pin:
    case ErrorKind::auth_failed: return ExitCode::wrong_pin;
    case ErrorKind::blocked: return ExitCode::blocked;
    case ErrorKind::policy: return ExitCode::policy;
    case ErrorKind::not_found: return ExitCode::not_found;
    case ErrorKind::io: return ExitCode::io;
    case ErrorKind::security_status:
    case ErrorKind::wrong_data:
    case ErrorKind::unsupported:
    case ErrorKind::card_removed:
    case ErrorKind::transport:
    case ErrorKind::protocol: return ExitCode::card;
    case ErrorKind::conflict:
    case ErrorKind::crypto:
    case ErrorKind::internal: return ExitCode::failure;
  }
  return ExitCode::failure;
}

const char* to_string(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::usage: return "usage";
    case ErrorKind::wrong_pin: return "wrong_pin";
    case ErrorKind::blocked: return "blocked";
    case ErrorKind::security_status: return "security_status";
    case ErrorKind::auth_failed: return "auth_failed";
    case ErrorKind::not_found: return "not_found";
    case ErrorKind::wrong_data: return "wrong_data";
    case ErrorKind::unsupported: return "unsupported";
    case ErrorKind::card_removed: return "card_removed";
    case ErrorKind::transport: return "transport";
    case ErrorKind::protocol: return "protocol";
    case ErrorKind::policy: return "policy";
    case ErrorKind::conflict: return "conflict";
    case ErrorKind::io: return "io";
    case ErrorKind::crypto: return "crypto";
    case ErrorKind::internal: return "internal";
  }
  return "internal";
}

}  // namespace cardctl
