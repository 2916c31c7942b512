#include "openssl_util.hpp"

#include <openssl/err.h>

#include "cardctl/error.hpp"

namespace cardctl::crypto {

std::string take_error_reason() {
  unsigned long code = ERR_get_error();
  std::string reason;
  if (code != 0) {
    const char* r = ERR_reason_error_string(code);
    reason = r != nullptr ? r : "unknown OpenSSL error";
  }
  ERR_clear_error();
  return reason;
}

void fail(const std::string& what) {
  std::string reason = take_error_reason();
  throw Error(ErrorKind::crypto, reason.empty() ? what + " failed" : what + " failed: " + reason);
}

}  // namespace cardctl::crypto
