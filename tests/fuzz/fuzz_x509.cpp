// Certificates and requests from outside (--import-certificates, a CA's files) never crash the X.509 layer: any
// bytes are either read or refused with cardctl::Error.
#include <string>

#include "cardctl/error.hpp"
#include "cardctl/x509.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  cardctl::ByteView der(data, size);
  try {
    auto info = cardctl::crypto::certificate_info(der);
    (void)info;
  } catch (const cardctl::Error&) {
  }
  try {
    (void)cardctl::crypto::csr_public_key(der);
  } catch (const cardctl::Error&) {
  }
  try {
    (void)cardctl::crypto::pem_to_der(std::string_view(reinterpret_cast<const char*>(data), size));
  } catch (const cardctl::Error&) {
  }
  try {
    cardctl::crypto::check_subject(std::string(reinterpret_cast<const char*>(data), size));
  } catch (const cardctl::Error&) {
  }
  return 0;
}
