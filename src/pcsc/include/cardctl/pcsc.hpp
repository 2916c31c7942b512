// Layer 5: the PC/SC implementation of the transport (pcsc-lite). The only target that includes <winscard.h>
// (docs/architecture.md#layers); everything above uses transport.hpp.
#pragma once

#include <memory>
#include <string_view>

#include "cardctl/transport.hpp"

namespace cardctl::transport {

/// A reader system over pcsc-lite. Each call to list_readers() takes a fresh snapshot (SCardGetStatusChange
/// with a zero timeout, so it never waits); each connection has its own PC/SC context. Errors: pcscd not
/// running -> Error(transport) with a hint to start it; a card pulled -> Error(card_removed) naming the reader.
std::unique_ptr<ReaderSystem> make_pcsc_reader_system();

/// The PC/SC reader system (pcsc-lite), one for the process.
ReaderSystem& pcsc_readers();

/// Opens a connection for a reader spec: "sim:PATH" -> the in-process reference card in PATH; anything else
/// (or empty) -> the readers of `system`, where exactly one reader with a card must match, else
/// Error(not_found) or Error(usage) listing the candidates ("more than one card: ...").
std::unique_ptr<Connection> open_reader(std::string_view spec, ShareMode mode, ReaderSystem& system);
/// open_reader over the PC/SC readers (pcsc_readers()). Callers that need another reader system take it
/// as a parameter (cli::Context::open_reader / list_readers), not through a global.
std::unique_ptr<Connection> open_reader(std::string_view spec, ShareMode mode);

}  // namespace cardctl::transport
