// RAII for a PC/SC context (SCardEstablishContext / SCardReleaseContext). Private to cardctl_pcsc.
#pragma once

#include <winscard.h>

namespace cardctl::transport::pcsc {

class Context {
 public:
  /// SCardEstablishContext(SCARD_SCOPE_SYSTEM); throws the mapped Error (e.g. pcscd not running).
  Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;
  ~Context();
  SCARDCONTEXT get() const { return handle_; }

 private:
  SCARDCONTEXT handle_ = 0;
};

}  // namespace cardctl::transport::pcsc
