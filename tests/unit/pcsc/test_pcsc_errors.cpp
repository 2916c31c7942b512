// PC/SC return codes -> cardctl errors (the one mapping, pcsc_error.cpp).
#include <doctest/doctest.h>

#include <winscard.h>

#include <string>

#include "pcsc_error.hpp"

using namespace cardctl;
using cardctl::transport::pcsc::error_for;

TEST_CASE("a removed card is card_removed, one line naming the reader") {
  for (const long rv : {static_cast<long>(SCARD_W_REMOVED_CARD), static_cast<long>(SCARD_E_NO_SMARTCARD)}) {
    const Error e = error_for(rv, "Yubico YubiKey OTP+FIDO+CCID 00 00", "sending an APDU");
    CHECK(e.kind() == ErrorKind::card_removed);
    CHECK(std::string(e.what()) == "card removed from reader 'Yubico YubiKey OTP+FIDO+CCID 00 00'");
    CHECK(e.pcsc_code() == rv);
  }
}

TEST_CASE("no pcscd: transport error that says to start it") {
  const Error e = error_for(SCARD_E_NO_SERVICE, "", "connecting to the PC/SC service");
  CHECK(e.kind() == ErrorKind::transport);
  CHECK(std::string(e.what()) == "the PC/SC service (pcscd) is not running");
  CHECK(e.hint().find("start pcscd") == 0);
}

TEST_CASE("no readers is not_found") {
  CHECK(error_for(SCARD_E_NO_READERS_AVAILABLE, "", "listing the readers").kind() == ErrorKind::not_found);
}

TEST_CASE("a card held exclusively by another program is a conflict") {
  const Error e = error_for(SCARD_E_SHARING_VIOLATION, "R 00 00", "connecting");
  CHECK(e.kind() == ErrorKind::conflict);
  CHECK(std::string(e.what()).find("'R 00 00'") != std::string::npos);
}

TEST_CASE("a reset by another program is reported, not hidden by a reconnect") {
  const Error e = error_for(SCARD_W_RESET_CARD, "R 00 00", "sending an APDU");
  CHECK(e.kind() == ErrorKind::transport);
  CHECK(std::string(e.what()).find("reset by another program") != std::string::npos);
}

TEST_CASE("other codes: transport with the code and pcsc-lite's text") {
  const Error e = error_for(SCARD_E_INVALID_HANDLE, "R 00 00", "sending an APDU");
  CHECK(e.kind() == ErrorKind::transport);
  CHECK(e.pcsc_code() == static_cast<long>(SCARD_E_INVALID_HANDLE));
  const std::string msg = e.what();
  CHECK(msg.find(pcsc_stringify_error(SCARD_E_INVALID_HANDLE)) != std::string::npos);
  CHECK(msg.find("0x80100003") != std::string::npos);
}
