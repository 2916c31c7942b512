#include "openssl_util.hpp"

#include <openssl/err.h>
#include <openssl/x509.h>

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

PkeyPtr read_private_key(ByteView der) {
  const unsigned char* p = der.data();
  PkeyPtr key(d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(der.size())));
  if (!key) fail("reading a private key");
  return key;
}

}  // namespace cardctl::crypto
