// Exact bytes on the wire, as yubico-piv-tool and real cards exchange them (piv-protocol.md §3).
#include <doctest/doctest.h>

#include "cardctl/piv.hpp"
#include "scripted_connection.hpp"

using namespace cardctl;
using testing::ScriptedConnection;

namespace {
const char* kSelect = "00A4040005A00000030800";
const char* kSelectOk = "61114F0600001000010079074F05A000000308 9000";
}  // namespace

TEST_CASE("VERIFY pads the PIN with FF; 63C2 becomes wrong PIN with 2 tries left") {
  ScriptedConnection card({{kSelect, kSelectOk}, {"0020008008313233343536FFFF", "63C2"}});
  piv::PivSession s(card);
  try {
    s.verify_pin(Pin::from_text("123456"));
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::wrong_pin);
    CHECK(e.retries() == 2);
    CHECK(std::string(e.what()) == "verifying the PIN: wrong PIN, 2 tries left");
  }
  CHECK(card.done());
  CHECK(card.transactions_begun == 1);
}

TEST_CASE("6983 on VERIFY is a blocked PIN with what to do") {
  ScriptedConnection card({{kSelect, kSelectOk}, {"0020008008313233343536FFFF", "6983"}});
  piv::PivSession s(card);
  try {
    s.verify_pin(Pin::from_text("123456"));
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::blocked);
    CHECK(e.hint().find("cardctl") != std::string::npos);
  }
}

TEST_CASE("PIN shorter than 6 is refused before anything is sent") {
  ScriptedConnection card({{kSelect, kSelectOk}});
  piv::PivSession s(card);
  CHECK_THROWS_AS(s.verify_pin(Pin::from_text("12345")), Error);
  CHECK(card.done());
}

TEST_CASE("SET MANAGEMENT KEY and GENERATE frame as yubico-piv-tool does") {
  Bytes key = from_hex("0102030405060708" "1112131415161718" "2122232425262728");
  ScriptedConnection card({{kSelect, kSelectOk},
                           {"00FFFFFF1B039B18" "010203040506070811121314151617182122232425262728", "9000"},
                           {"004700 9A 05 AC 03 800111 00", "7F4943 8641 04" + std::string(128, '0') + "9000"}});
  piv::PivSession s(card);
  s.set_management_key(AdminKey(key), crypto::AdminAlgorithm::tdes);
  // The all-zero point is not on the curve: the session refuses it rather than returning garbage.
  CHECK_THROWS_AS(s.generate_key(0x9A, crypto::KeyAlgorithm::eccp256), Error);
  CHECK(card.done());
}

TEST_CASE("a card without PIV answers SELECT with 6A82: not_found with a hint") {
  ScriptedConnection card({{kSelect, "6A82"}});
  try {
    piv::PivSession s(card);
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::not_found);
  }
  CHECK(card.ended.size() == 1);  // the transaction was ended
}

TEST_CASE("card_id is the serial in decimal when the card has one") {
  ScriptedConnection card({{kSelect, kSelectOk}, {"00F8000000", "00BC614E 9000"}});
  piv::PivSession s(card);
  CHECK(s.card_id() == "12345678");
}
