#include "pcsc_context.hpp"

#include "pcsc_error.hpp"

namespace cardctl::transport::pcsc {

Context::Context() {
  const LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, nullptr, nullptr, &handle_);
  if (rv != SCARD_S_SUCCESS) throw error_for(rv, {}, "connecting to the PC/SC service");
}

Context::~Context() { SCardReleaseContext(handle_); }

}  // namespace cardctl::transport::pcsc
