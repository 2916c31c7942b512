#include <doctest/doctest.h>

#include "cardctl/channel.hpp"
#include "scripted_connection.hpp"

using namespace cardctl;
using testing::ScriptedConnection;

TEST_CASE("data over 255 bytes goes out as CLA 10 chained blocks") {
  Bytes data(300, 0xAA);
  std::string block1 = "10DB3FFFFF" + std::string(255 * 2, 'A');
  std::string block2 = "00DB3FFF2D" + std::string(45 * 2, 'A');
  ScriptedConnection card({{block1, "9000"}, {block2, "9000"}});
  Channel ch(card);
  CHECK(ch.transmit({0x00, 0xDB, 0x3F, 0xFF, data, std::nullopt}).ok());
  CHECK(card.done());
  CHECK(ch.apdu_count() == 2);
}

TEST_CASE("an intermediate chained block that fails stops the chain") {
  std::string block1 = "10DB3FFFFF" + std::string(255 * 2, 'A');
  ScriptedConnection card({{block1, "6982"}});
  Channel ch(card);
  CHECK(ch.transmit({0x00, 0xDB, 0x3F, 0xFF, Bytes(300, 0xAA), std::nullopt}).sw == 0x6982);
}

TEST_CASE("61xx responses are collected with GET RESPONSE") {
  ScriptedConnection card({{"00CB3FFF035C017E00", "0102 6102"},
                           {"00C0000002", "0304 6101"},
                           {"00C0000001", "05 9000"}});
  Channel ch(card);
  auto r = ch.transmit({0x00, 0xCB, 0x3F, 0xFF, from_hex("5C017E"), 256});
  CHECK(r.ok());
  CHECK(to_hex(r.data) == "0102030405");
  CHECK(ch.apdu_count() == 3);
}

TEST_CASE("6Cxx makes the channel resend with the right Le") {
  ScriptedConnection card({{"00CB3FFF035C017E08", "6C10"}, {"00CB3FFF035C017E10", "AABB9000"}});
  Channel ch(card);
  CHECK(to_hex(ch.transmit({0x00, 0xCB, 0x3F, 0xFF, from_hex("5C017E"), 8}).data) == "aabb");
}

TEST_CASE("the trace masks secret data and secret responses") {
  std::vector<std::string> lines;
  ScriptedConnection card({{"0020008008313233343536FFFF", "9000"}});
  Channel ch(card, [&](const std::string& l) { lines.push_back(l); });
  apdu::Command verify{0x00, 0x20, 0x00, 0x80, from_hex("3132333435 36FFFF"), std::nullopt, true};
  ch.transmit(verify);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0] == "> 00 20 00 80 08 ** ** ** ** ** ** ** **");
  CHECK(lines[0].find("31") == std::string::npos);
  CHECK(lines[1] == "< 90 00");
}

TEST_CASE("reader matching: substring, exact with @, ambiguity visible") {
  std::vector<transport::ReaderInfo> readers{{"Virtual PCD 00 00", true, {}}, {"Virtual PCD 00 01", true, {}},
                                             {"Yubico YubiKey OTP+FIDO+CCID 00 00", true, {}}};
  CHECK(transport::match_readers(readers, "yubikey").size() == 1);
  CHECK(transport::match_readers(readers, "virtual").size() == 2);
  CHECK(transport::match_readers(readers, "@Virtual PCD 00 01").size() == 1);
  CHECK(transport::match_readers(readers, "@Virtual PCD").empty());
  CHECK(transport::is_sim_spec("sim:/tmp/card"));
  CHECK_FALSE(transport::is_sim_spec("Virtual"));
}
