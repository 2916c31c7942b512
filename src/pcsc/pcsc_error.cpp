#include "pcsc_error.hpp"

#include <winscard.h>

#include <cstdio>

namespace cardctl::transport::pcsc {

namespace {

std::string hex_code(long rv) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08lX", static_cast<unsigned long>(rv) & 0xFFFFFFFFUL);
  return buf;
}

std::string quoted(const std::string& reader) { return "'" + reader + "'"; }

}  // namespace

Error error_for(long rv, const std::string& reader, const std::string& doing) {
  const std::string in_reader = reader.empty() ? std::string() : " in reader " + quoted(reader);
  switch (rv) {
    case SCARD_W_REMOVED_CARD:
    case SCARD_E_NO_SMARTCARD:
      return Error(ErrorKind::card_removed, "card removed from reader " + quoted(reader),
                   "insert the card and run the command again")
          .with_pcsc(rv);
    case SCARD_E_NO_SERVICE:
    case SCARD_E_SERVICE_STOPPED:
      return Error(ErrorKind::transport, "the PC/SC service (pcscd) is not running",
                   "start pcscd (e.g. `systemctl start pcscd.socket`), or use sim:FILE for a reference card")
          .with_pcsc(rv);
    case SCARD_E_NO_READERS_AVAILABLE:
      return Error(ErrorKind::not_found, "no smart card reader found",
                   "connect a reader, or use sim:FILE for a reference card")
          .with_pcsc(rv);
    case SCARD_E_UNKNOWN_READER:
    case SCARD_E_READER_UNAVAILABLE:
      return Error(ErrorKind::not_found, "reader " + quoted(reader) + " is not available",
                   "list the readers with `cardctl readers`")
          .with_pcsc(rv);
    case SCARD_E_SHARING_VIOLATION:
      return Error(ErrorKind::conflict, "the card" + in_reader + " is in use by another program",
                   "close the other program using the card and try again")
          .with_pcsc(rv);
    case SCARD_W_RESET_CARD:
      // Another program reset the card: PIN verification, admin authentication and any challenge are gone.
      // Reconnecting silently would hide that, so the operation fails.
      return Error(ErrorKind::transport, "the card" + in_reader + " was reset by another program while " + doing,
                   "run the command again; keep other smart-card programs away from the card meanwhile")
          .with_pcsc(rv);
    case SCARD_W_UNRESPONSIVE_CARD:
    case SCARD_W_UNPOWERED_CARD:
    case SCARD_W_UNSUPPORTED_CARD:
    case SCARD_E_PROTO_MISMATCH:
      return Error(ErrorKind::transport,
                   "the card" + in_reader + " does not answer properly while " + doing + ": " +
                       pcsc_stringify_error(rv) + " (" + hex_code(rv) + ")",
                   "take the card out and insert it again")
          .with_pcsc(rv);
    default:
      return Error(ErrorKind::transport,
                   "PC/SC error" + in_reader + " while " + doing + ": " + pcsc_stringify_error(rv) + " (" +
                       hex_code(rv) + ")")
          .with_pcsc(rv);
  }
}

}  // namespace cardctl::transport::pcsc
