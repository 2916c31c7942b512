#include "cardctl/error.hpp"

namespace cardctl {

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
    case ErrorKind::partial: return "partial";
    case ErrorKind::internal: return "internal";
  }
  return "internal";
}

}  // namespace cardctl
