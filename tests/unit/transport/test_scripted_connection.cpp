// The scripted fake card that session tests rely on (tests/support/scripted_connection.hpp): it must fail
// loudly on any unexpected command, and record how the card was left.
#include <doctest/doctest.h>

#include <stdexcept>
#include <string>

#include "scripted_connection.hpp"

using namespace cardctl;
using testing::ScriptedConnection;

TEST_CASE("the script is followed in order, and done() tells when it is complete") {
  ScriptedConnection card({{"00 A4 04 00 05 A0 00 00 03 08", "90 00"}, {"00 FD 00 00 00", "05 07 01 90 00"}});
  CHECK_FALSE(card.done());
  CHECK(card.transmit(from_hex("00A4040005A000000308")).ok());
  CHECK_FALSE(card.done());
  CHECK(card.next_expected() == "00 FD 00 00 00");
  const auto r = card.transmit(from_hex("00FD000000"));
  CHECK(r.data == Bytes{5, 7, 1});
  CHECK(card.done());
  CHECK(card.exchanged() == 2);
}

TEST_CASE("a different command fails with both APDUs in the message") {
  ScriptedConnection card({{"00 20 00 80", "63 C3"}});
  try {
    card.transmit(from_hex("0020008100"));
    FAIL("expected a failure");
  } catch (const std::logic_error& e) {
    const std::string what = e.what();
    CHECK(what.find("00200080") != std::string::npos);
    CHECK(what.find("0020008100") != std::string::npos);
  }
  CHECK_FALSE(card.done());
}

TEST_CASE("a command after the end of the script fails") {
  ScriptedConnection card({{"00 20 00 80", "63 C3"}});
  card.transmit(from_hex("00200080"));
  CHECK_THROWS_AS(card.transmit(from_hex("00200080")), std::logic_error);
}

TEST_CASE("transactions and the disconnect disposition are recorded") {
  ScriptedConnection card(ScriptedConnection::Script{});
  {
    transport::Transaction t(card, transport::Disposition::leave);
    t.set_disposition(transport::Disposition::reset);
  }
  CHECK(card.transactions_begun == 1);
  CHECK(card.ended == std::vector<transport::Disposition>{transport::Disposition::reset});
  CHECK_FALSE(card.disconnected.has_value());
  card.disconnect(transport::Disposition::leave);
  card.disconnect(transport::Disposition::reset);  // idempotent: the first one counts
  CHECK(card.disconnected == transport::Disposition::leave);
}
