// Layer 5: the PC/SC implementation of the transport (pcsc-lite). The only target that includes <winscard.h>
// (STYLE.md 1); everything above uses transport.hpp.
#pragma once

#include <memory>

#include "cardctl/transport.hpp"

namespace cardctl::transport {

/// A reader system over pcsc-lite. Each call to list_readers() takes a fresh snapshot (SCardGetStatusChange
/// with a zero timeout, so it never waits); each connection has its own PC/SC context. Errors: pcscd not
/// running -> Error(transport) with a hint to start it; a card pulled -> Error(card_removed) naming the reader.
std::unique_ptr<ReaderSystem> make_pcsc_reader_system();

/// Makes pcsc_readers() (and so open_reader) use `system` instead of pcsc-lite; nullptr restores pcsc-lite.
/// For tests of reader selection; the caller keeps `system` alive while it is installed.
void set_reader_system_for_tests(ReaderSystem* system);

}  // namespace cardctl::transport
