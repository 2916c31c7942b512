// Exact bytes on the wire for the session, identity and PIN/PUK commands, as yubico-piv-tool and real cards
// exchange them (docs/protocol.md, VERIFY to RESET RETRY COUNTER), and how their status words reach the user.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "cardctl/piv.hpp"
#include "scripted_connection.hpp"
#include "wire.hpp"

using namespace cardctl;
using testing::ScriptedConnection;
using namespace piv_test;

namespace {
const char* kVerify123456 = "0020008008313233343536FFFF";
}  // namespace

TEST_CASE("VERIFY pads the PIN with FF; 63C2 becomes wrong PIN with 2 tries left") {
  ScriptedConnection card({{kSelect, kSelectOk}, {kVerify123456, "63C2"}});
  piv::PivSession s(card);
  Error e = expect_error([&] { s.verify_pin(Pin::from_text("123456")); });
  CHECK(e.kind() == ErrorKind::wrong_pin);
  CHECK(e.retries() == 2);
  CHECK(e.status_word() == 0x63C2);
  CHECK(std::string(e.what()) == "verifying the PIN: wrong PIN, 2 tries left");
  CHECK(card.done());
  CHECK(card.transactions_begun == 1);
}

TEST_CASE("VERIFY: 63C1 says one try; 63C0 and 6983 are a blocked PIN with what to do") {
  SUBCASE("63C1") {
    ScriptedConnection card({{kSelect, kSelectOk}, {kVerify123456, "63C1"}});
    piv::PivSession s(card);
    Error e = expect_error([&] { s.verify_pin(Pin::from_text("123456")); });
    CHECK(std::string(e.what()) == "verifying the PIN: wrong PIN, 1 try left");
  }
  for (const char* sw : {"63C0", "6983"}) {
    CAPTURE(sw);
    ScriptedConnection card({{kSelect, kSelectOk}, {kVerify123456, sw}});
    piv::PivSession s(card);
    Error e = expect_error([&] { s.verify_pin(Pin::from_text("123456")); });
    CHECK(e.kind() == ErrorKind::blocked);
    CHECK(e.retries() == 0);
    CHECK(std::string(e.what()) == "verifying the PIN: the PIN is blocked");
    CHECK(e.hint().find("cardctl unblock") != std::string::npos);
  }
}

TEST_CASE("VERIFY: 6300 is a wrong PIN whose tries left are unknown, not a blocked one") {
  ScriptedConnection card({{kSelect, kSelectOk}, {kVerify123456, "6300"}});
  piv::PivSession s(card);
  Error e = expect_error([&] { s.verify_pin(Pin::from_text("123456")); });
  CHECK(e.kind() == ErrorKind::wrong_pin);
  CHECK_FALSE(e.retries().has_value());
  CHECK(std::string(e.what()) == "verifying the PIN: wrong PIN");
}

TEST_CASE("a PIN outside 6..8 characters is refused before anything is sent") {
  ScriptedConnection card({{kSelect, kSelectOk}});
  piv::PivSession s(card);
  CHECK(expect_error([&] { s.verify_pin(Pin::from_text("12345")); }).kind() == ErrorKind::usage);
  CHECK(expect_error([&] { s.verify_pin(Pin::from_text("123456789")); }).kind() == ErrorKind::usage);
  CHECK(card.done());
}

TEST_CASE("pad_reference keeps 8 bytes as they are and pads shorter values with FF") {
  auto six = piv::pad_reference(to_bytes("123456"));
  CHECK(to_hex(Bytes(six.begin(), six.end())) == "313233343536ffff");
  auto eight = piv::pad_reference(to_bytes("12345678"));
  CHECK(to_hex(Bytes(eight.begin(), eight.end())) == "3132333435363738");
}

TEST_CASE("CHANGE REFERENCE DATA for the PIN and the PUK carries old and new, each padded to 8") {
  ScriptedConnection card({{kSelect, kSelectOk},
                           {"00240080 10 313233343536FFFF 363534333231FFFF", "9000"},
                           {"00240081 10 3132333435363738 3837363534333231", "63C2"}});
  piv::PivSession s(card);
  s.change_pin(Pin::from_text("123456"), Pin::from_text("654321"));
  Error e = expect_error([&] { s.change_puk(Puk::from_text("12345678"), Puk::from_text("87654321")); });
  CHECK(e.kind() == ErrorKind::wrong_pin);
  CHECK(std::string(e.what()) == "changing the PUK: wrong PUK, 2 tries left");
  CHECK(card.done());
}

TEST_CASE("RESET RETRY COUNTER with the PUK: PUK then new PIN; a blocked PUK says the card must be reissued") {
  ScriptedConnection card({{kSelect, kSelectOk},
                           {"002C0080 10 3132333435363738 363534333231FFFF", "63C1"},
                           {"002C0080 10 3132333435363738 363534333231FFFF", "6983"}});
  piv::PivSession s(card);
  Error wrong = expect_error([&] { s.reset_pin_with_puk(Puk::from_text("12345678"), Pin::from_text("654321")); });
  CHECK(std::string(wrong.what()) == "unblocking the PIN with the PUK: wrong PUK, 1 try left");
  CHECK(wrong.retries() == 1);
  Error blocked = expect_error([&] { s.reset_pin_with_puk(Puk::from_text("12345678"), Pin::from_text("654321")); });
  CHECK(blocked.kind() == ErrorKind::blocked);
  CHECK(std::string(blocked.what()) == "unblocking the PIN with the PUK: the PUK is blocked");
  CHECK(blocked.hint().find("issued again") != std::string::npos);
}

TEST_CASE("admin PIN reset: P1 02 with the new PIN only; cards without it point to the PUK") {
  const char* reset = "002C0280 08 383634323133FFFF";
  SUBCASE("accepted") {
    ScriptedConnection card({{kSelect, kSelectOk}, {reset, "9000"}});
    piv::PivSession s(card);
    s.reset_pin_as_admin(Pin::from_text("864213"));
    CHECK(card.done());
  }
  for (const char* sw : {"6A81", "6D00", "6A86", "6A80"}) {
    CAPTURE(sw);
    ScriptedConnection card({{kSelect, kSelectOk}, {reset, sw}});
    piv::PivSession s(card);
    Error e = expect_error([&] { s.reset_pin_as_admin(Pin::from_text("864213")); });
    CHECK(e.kind() == ErrorKind::unsupported);
    CHECK(std::string(e.what()) == "this card does not allow the PIN to be reset with the admin key");
    CHECK(e.hint() == "unblock it with its PUK: cardctl unblock --puc");
  }
  SUBCASE("without 9B authentication") {
    ScriptedConnection card({{kSelect, kSelectOk}, {reset, "6982"}});
    piv::PivSession s(card);
    CHECK(expect_error([&] { s.reset_pin_as_admin(Pin::from_text("864213")); }).kind() == ErrorKind::security_status);
  }
}

TEST_CASE("PIN retries: GET METADATA when the card has it, without spending or probing") {
  // F7 80: 01 algorithm FF, 05 default flag, 06 total and remaining (Yubico PIV GET METADATA).
  ScriptedConnection card({{kSelect, kSelectOk}, {"00F7008000", "0101FF 050100 06020502 9000"}});
  piv::PivSession s(card);
  auto r = s.pin_retries();
  CHECK(r.remaining == 2);
  CHECK(r.total == 5);
  CHECK(r.is_default == false);
  CHECK(card.done());
}

TEST_CASE("PIN retries without metadata: the empty VERIFY (63Cx, 9000 = already verified, 6983)") {
  struct Case {
    const char* sw;
    int remaining;
  };
  for (auto c : {Case{"63C3", 3}, Case{"9000", -1}, Case{"6983", 0}}) {
    CAPTURE(c.sw);
    ScriptedConnection card({{kSelect, kSelectOk}, {"00F7008000", "6D00"}, {"00200080", c.sw}});
    piv::PivSession s(card);
    auto r = s.pin_retries();
    CHECK(r.remaining == c.remaining);
    CHECK_FALSE(r.total.has_value());
    CHECK(card.done());
  }
}

TEST_CASE("PUK retries come only from metadata: unknown (-1) rather than a spent try") {
  ScriptedConnection card({{kSelect, kSelectOk}, {"00F7008100", "6D00"}});
  piv::PivSession s(card);
  CHECK(s.puk_retries().remaining == -1);
  CHECK(card.done());
}

TEST_CASE("version and serial (YubiKey FD and F8); card_id is the serial in decimal") {
  ScriptedConnection card({{kSelect, kSelectOk}, {"00FD000000", "050403 9000"}, {"00F8000000", "00BC614E 9000"}});
  piv::PivSession s(card);
  auto v = s.version();
  REQUIRE(v.has_value());
  CHECK(v->to_string() == "5.4.3");
  CHECK(v->at_least(5, 3, 0));
  CHECK_FALSE(v->at_least(5, 4, 4));
  CHECK(s.card_id() == "12345678");
}

TEST_CASE("a card without GET VERSION (6D00) has no version, and no error") {
  ScriptedConnection card({{kSelect, kSelectOk}, {"00FD000000", "6D00"}});
  piv::PivSession s(card);
  CHECK_FALSE(s.version().has_value());
  CHECK(card.done());
}

TEST_CASE("card_id without a serial is the CHUID GUID in lower-case hex; neither is not_found") {
  SUBCASE("GUID") {
    ScriptedConnection card({{kSelect, kSelectOk},
                             {"00F8000000", "6D00"},
                             {"00CB3FFF 05 5C035FC102 00",
                              "5314 3410 00112233445566778899AABBCCDDEEFF FE00 9000"}});
    piv::PivSession s(card);
    CHECK(s.card_id() == "00112233445566778899aabbccddeeff");
  }
  SUBCASE("neither") {
    ScriptedConnection card({{kSelect, kSelectOk}, {"00F8000000", "6D00"}, {"00CB3FFF 05 5C035FC102 00", "6A82"}});
    piv::PivSession s(card);
    CHECK(expect_error([&] { s.card_id(); }).kind() == ErrorKind::not_found);
  }
}

TEST_CASE("a card without PIV answers SELECT with 6A82: not_found, and the transaction is ended") {
  ScriptedConnection card({{kSelect, "6A82"}});
  Error e = expect_error([&] { piv::PivSession s(card); });
  CHECK(e.kind() == ErrorKind::not_found);
  CHECK(e.hint().find("cardctl readers") != std::string::npos);
  CHECK(card.ended == std::vector<transport::Disposition>{transport::Disposition::leave});
}

TEST_CASE("session options: no transaction, no SELECT; close ends the transaction and disconnects") {
  SUBCASE("hold_transaction = false, select_on_open = false") {
    ScriptedConnection card({{"00F8000000", "00000001 9000"}});
    piv::PivSession s(card, {.hold_transaction = false, .select_on_open = false, .trace = {}});
    CHECK(s.serial() == 1u);
    CHECK(card.transactions_begun == 0);
  }
  SUBCASE("close(reset)") {
    ScriptedConnection card({{kSelect, kSelectOk}});
    {
      piv::PivSession s(card);
      s.close(transport::Disposition::reset);
      s.close(transport::Disposition::leave);  // a second close changes nothing
    }
    CHECK(card.ended == std::vector<transport::Disposition>{transport::Disposition::reset});
    CHECK(card.disconnected == transport::Disposition::reset);
  }
  SUBCASE("destroyed without close: the transaction ends, leaving the card as it is") {
    ScriptedConnection card({{kSelect, kSelectOk}});
    { piv::PivSession s(card); }
    CHECK(card.ended == std::vector<transport::Disposition>{transport::Disposition::leave});
    CHECK_FALSE(card.disconnected.has_value());
  }
}

TEST_CASE("the trace shows the PIN and PUK commands with their data masked") {
  std::vector<std::string> lines;
  ScriptedConnection card({{kSelect, kSelectOk},
                           {kVerify123456, "9000"},
                           {"002C0080 10 3132333435363738 363534333231FFFF", "9000"}});
  piv::PivSession s(card, {.hold_transaction = true, .select_on_open = true,
                           .trace = [&](const std::string& l) { lines.push_back(l); }});
  s.verify_pin(Pin::from_text("123456"));
  s.reset_pin_with_puk(Puk::from_text("12345678"), Pin::from_text("654321"));
  REQUIRE(lines.size() == 6);
  CHECK(lines[2] == "> 00 20 00 80 08 ** ** ** ** ** ** ** **");
  CHECK(lines[4].rfind("> 00 2C 00 80 10 ** **", 0) == 0);
  for (const auto& l : lines) CHECK(l.find("31 32 33") == std::string::npos);
}

TEST_CASE("SET PIN RETRIES and RESET frame as yubico-piv-tool does; RESET refused while not blocked") {
  ScriptedConnection card({{kSelect, kSelectOk}, {"00FA0504", "9000"}, {"00FB0000", "6985"}});
  piv::PivSession s(card);
  s.set_pin_retries(5, 4);
  Error e = expect_error([&] { s.reset_application(); });
  CHECK(std::string(e.what()).find("both its PIN and its PUK are blocked") != std::string::npos);
  CHECK(expect_error([&] { s.set_pin_retries(0, 3); }).kind() == ErrorKind::usage);
  CHECK(card.done());
}
