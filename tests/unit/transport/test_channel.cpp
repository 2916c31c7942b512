// The framing channel against a scripted card: chaining (docs/protocol.md#framing), 61xx / GET RESPONSE, 6Cxx,
// extended length, the APDU count, and a trace that never shows a secret.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "cardctl/channel.hpp"
#include "scripted_connection.hpp"

using namespace cardctl;
using testing::ScriptedConnection;

namespace {
// n bytes 00 01 02 ... (mod 256), so that a block cut in the wrong place shows.
Bytes counting(std::size_t n, std::size_t start = 0) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(start + i);
  return b;
}
std::string hex(ByteView b) { return to_hex_upper(b); }

apdu::Command put_data(ByteView data) { return {0x00, 0xDB, 0x3F, 0xFF, to_secure(data), std::nullopt}; }
apdu::Command get_chuid(std::size_t le) { return {0x00, 0xCB, 0x3F, 0xFF, secure_from_hex("5C 03 5F C1 02"), le}; }

struct Trace {
  std::vector<std::string> lines;
  TraceSink sink() {
    return [this](const std::string& l) { lines.push_back(l); };
  }
  std::string all() const {
    std::string out;
    for (const auto& l : lines) out += l + "\n";
    return out;
  }
};

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + what.size())) ++n;
  return n;
}
}  // namespace

TEST_CASE("300 bytes go out as a 255-byte CLA 10 block and a last block of 45 (0x2D)") {
  const Bytes data = counting(300);
  ScriptedConnection card({{"10 DB 3F FF FF" + hex(ByteView(data).first(255)), "90 00"},
                           {"00 DB 3F FF 2D" + hex(ByteView(data).subspan(255)), "90 00"}});
  Channel ch(card);
  CHECK(ch.transmit(put_data(data)).ok());
  CHECK(card.done());
  CHECK(ch.apdu_count() == 2);
}

TEST_CASE("255 bytes fit one short APDU; 510 bytes are two full blocks; Le rides on the last block") {
  {
    ScriptedConnection card({{"00 DB 3F FF FF" + hex(counting(255)), "90 00"}});
    Channel ch(card);
    CHECK(ch.transmit(put_data(counting(255))).ok());
    CHECK(card.done());
  }
  {
    const Bytes data = counting(510);
    apdu::Command cmd = put_data(data);
    cmd.cla = 0x80;  // the chaining bit is added to the class byte, the rest kept
    cmd.le = 256;
    ScriptedConnection card({{"90 DB 3F FF FF" + hex(ByteView(data).first(255)), "90 00"},
                             {"80 DB 3F FF FF" + hex(ByteView(data).subspan(255)) + "00", "90 00"}});
    Channel ch(card);
    CHECK(ch.transmit(cmd).ok());
    CHECK(card.done());
  }
}

TEST_CASE("a chained block the card refuses ends the chain with that status word") {
  const Bytes data = counting(600);
  ScriptedConnection card({{"10 DB 3F FF FF" + hex(ByteView(data).first(255)), "90 00"},
                           {"10 DB 3F FF FF" + hex(ByteView(data).subspan(255, 255)), "6A 84"}});
  Channel ch(card);
  const auto r = ch.transmit(put_data(data));
  CHECK(r.sw == 0x6A84);
  CHECK(card.done());  // the third block was never sent
  CHECK(ch.apdu_count() == 2);
}

TEST_CASE("61xx: the response is collected across three GET RESPONSEs (SW2 00 asks for 256)") {
  const Bytes big = counting(256, 0x40);
  ScriptedConnection card({{"00 CB 3F FF 05 5C 03 5F C1 02 00", "01 02 61 02"},
                           {"00 C0 00 00 02", "03 04 61 00"},
                           {"00 C0 00 00 00", hex(big) + "61 01"},
                           {"00 C0 00 00 01", "05 90 00"}});
  Channel ch(card);
  const auto r = ch.transmit(get_chuid(256));
  CHECK(r.ok());
  CHECK(hex(r.data) == "01020304" + hex(big) + "05");
  CHECK(card.done());
  CHECK(ch.apdu_count() == 4);
}

TEST_CASE("a GET RESPONSE that fails ends the collection with its status word") {
  ScriptedConnection card({{"00 CB 3F FF 05 5C 03 5F C1 02 00", "01 61 10"}, {"00 C0 00 00 10", "6F 00"}});
  Channel ch(card);
  CHECK(ch.transmit(get_chuid(256)).sw == 0x6F00);
  CHECK(card.done());
}

TEST_CASE("a card that never stops answering 61xx is a protocol error, not a hang") {
  ScriptedConnection::Script script{{"00 CB 3F FF 05 5C 03 5F C1 02 00", "61 01"}};
  for (int i = 0; i < 1024; ++i) script.push_back({"00 C0 00 00 01", "AA 61 01"});
  ScriptedConnection card(script);
  Channel ch(card);
  try {
    ch.transmit(get_chuid(256));
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::protocol);
    CHECK_FALSE(e.hint().empty());
  }
  CHECK(card.done());
  CHECK(ch.apdu_count() == 1025);
}

TEST_CASE("6Cxx: the command is sent again once, with Le = xx") {
  SUBCASE("then the data") {
    ScriptedConnection card({{"00 CB 3F FF 05 5C 03 5F C1 02 08", "6C 10"},
                             {"00 CB 3F FF 05 5C 03 5F C1 02 10", "AA BB 90 00"}});
    Channel ch(card);
    const auto r = ch.transmit(get_chuid(8));
    CHECK(r.ok());
    CHECK(hex(r.data) == "AABB");
    CHECK(ch.apdu_count() == 2);
    CHECK(card.done());
  }
  SUBCASE("6C00 means 256, and 61xx after the re-send is still collected") {
    ScriptedConnection card({{"00 CB 3F FF 05 5C 03 5F C1 02 08", "6C 00"},
                             {"00 CB 3F FF 05 5C 03 5F C1 02 00", "AA 61 01"},
                             {"00 C0 00 00 01", "BB 90 00"}});
    Channel ch(card);
    CHECK(hex(ch.transmit(get_chuid(8)).data) == "AABB");
    CHECK(card.done());
  }
  SUBCASE("only once: a second 6Cxx is returned as it is") {
    ScriptedConnection card({{"00 CB 3F FF 05 5C 03 5F C1 02 08", "6C 10"},
                             {"00 CB 3F FF 05 5C 03 5F C1 02 10", "6C 20"}});
    Channel ch(card);
    CHECK(ch.transmit(get_chuid(8)).sw == 0x6C20);
    CHECK(card.done());
  }
  SUBCASE("after a chain, only the last block is sent again") {
    const Bytes data = counting(300);
    apdu::Command cmd = put_data(data);
    cmd.le = 8;
    const std::string last = "00 DB 3F FF 2D" + hex(ByteView(data).subspan(255));
    ScriptedConnection card({{"10 DB 3F FF FF" + hex(ByteView(data).first(255)), "90 00"},
                             {last + "08", "6C 04"},
                             {last + "04", "01 02 03 04 90 00"}});
    Channel ch(card);
    CHECK(hex(ch.transmit(cmd).data) == "01020304");
    CHECK(card.done());
    CHECK(ch.apdu_count() == 3);
  }
}

TEST_CASE("short connections send Le over 256 as 00; extended ones send extended APDUs only when needed") {
  {
    ScriptedConnection card({{"00 CB 3F FF 05 5C 03 5F C1 02 00", "90 00"}});
    Channel ch(card);
    CHECK(ch.transmit(get_chuid(4096)).ok());
    CHECK(card.done());
  }
  {
    const Bytes data = counting(300);
    ScriptedConnection card({{"00 CB 3F FF 05 5C 03 5F C1 02 00", "90 00"},
                             {"00 CB 3F FF 00 00 05 5C 03 5F C1 02 10 00", "90 00"},
                             {"00 DB 3F FF 00 01 2C" + hex(data), "90 00"}});
    card.set_extended_length(true);
    Channel ch(card);
    CHECK(ch.transmit(get_chuid(256)).ok());
    CHECK(ch.transmit(get_chuid(4096)).ok());
    CHECK(ch.transmit(put_data(data)).ok());  // no chaining
    CHECK(card.done());
    CHECK(ch.apdu_count() == 3);
  }
}

TEST_CASE("apdu_count adds up over several commands") {
  ScriptedConnection card({{"00 A4 04 00 05 A0 00 00 03 08", "90 00"},
                           {"00 CB 3F FF 05 5C 03 5F C1 02 00", "01 61 01"},
                           {"00 C0 00 00 01", "02 90 00"}});
  Channel ch(card);
  CHECK(ch.apdu_count() == 0);
  ch.transmit({0x00, 0xA4, 0x04, 0x00, secure_from_hex("A000000308"), std::nullopt});
  CHECK(ch.apdu_count() == 1);
  ch.transmit(get_chuid(256));
  CHECK(ch.apdu_count() == 3);
}

TEST_CASE("the trace shows every raw APDU, one line each way") {
  Trace t;
  ScriptedConnection card({{"00 A4 04 00 05 A0 00 00 03 08", "61 11 90 00"}});
  Channel ch(card, t.sink());
  ch.transmit({0x00, 0xA4, 0x04, 0x00, secure_from_hex("A000000308"), std::nullopt});
  CHECK(t.lines == std::vector<std::string>{"> 00 A4 04 00 05 A0 00 00 03 08", "< 61 11 90 00"});
}

TEST_CASE("the trace masks a secret data field and keeps the header, Lc and Le") {
  Trace t;
  ScriptedConnection card({{"00 20 00 80 08 31 32 33 34 35 36 FF FF", "63 C2"},
                           {"00 2C 02 80 08 39 38 37 36 35 34 FF FF 00", "90 00"}});
  Channel ch(card, t.sink());
  apdu::Command verify{0x00, apdu::ins::verify, 0x00, 0x80, secure_from_hex("313233343536FFFF"), std::nullopt, true};
  CHECK(ch.transmit(verify).sw == 0x63C2);
  apdu::Command reset{0x00, apdu::ins::reset_retry_counter, 0x02, 0x80, secure_from_hex("393837363534FFFF"), 256, true};
  CHECK(ch.transmit(reset).ok());
  CHECK(t.lines == std::vector<std::string>{"> 00 20 00 80 08 ** ** ** ** ** ** ** **", "< 63 C2",
                                            "> 00 2C 02 80 08 ** ** ** ** ** ** ** ** 00", "< 90 00"});
}

TEST_CASE("the trace masks every block of a chained secret, and the re-send after 6Cxx") {
  Trace t;
  const Bytes secret(300, 0x5A);
  const std::string last = "00 FF FF FF 2D" + hex(ByteView(secret).subspan(255));
  ScriptedConnection card({{"10 FF FF FF FF" + hex(ByteView(secret).first(255)), "90 00"},
                           {last + "08", "6C 00"},
                           {last + "00", "90 00"}});
  Channel ch(card, t.sink());
  apdu::Command cmd{0x00, apdu::ins::set_management_key, 0xFF, 0xFF, to_secure(secret), 8, true};
  CHECK(ch.transmit(cmd).ok());
  REQUIRE(t.lines.size() == 6);
  CHECK(t.lines[0].rfind("> 10 FF FF FF FF **", 0) == 0);
  CHECK(t.lines[2].rfind("> 00 FF FF FF 2D **", 0) == 0);
  CHECK(t.lines[2].substr(t.lines[2].size() - 3) == " 08");
  CHECK(t.lines[4].substr(t.lines[4].size() - 3) == " 00");
  CHECK(t.all().find("5A") == std::string::npos);
  CHECK(count_of(t.all(), "**") == 255 + 45 + 45);
}

TEST_CASE("the trace masks a secret data field in extended form too") {
  Trace t;
  ScriptedConnection card({{"00 FE 07 9A 00 00 03 01 02 03 00 00", "90 00"}});
  card.set_extended_length(true);
  Channel ch(card, t.sink());
  apdu::Command cmd{0x00, apdu::ins::import_key, 0x07, 0x9A, secure_from_hex("010203"), 65536, true};
  ch.transmit(cmd);
  CHECK(t.lines.at(0) == "> 00 FE 07 9A 00 00 03 ** ** ** 00 00");
}

TEST_CASE("the trace masks a secret response in every part, GET RESPONSE commands in clear") {
  Trace t;
  ScriptedConnection card({{"00 87 03 9B 04 7C 02 80 00 00", "7C 0A 61 08"},
                           {"00 C0 00 00 08", "80 08 01 02 03 04 05 06 07 08 90 00"}});
  Channel ch(card, t.sink());
  apdu::Command cmd{0x00, apdu::ins::general_authenticate, 0x03, 0x9B, secure_from_hex("7C028000"), 256};
  cmd.secret_response = true;
  const auto r = ch.transmit(cmd);
  CHECK(hex(r.data) == "7C0A80080102030405060708");  // the caller gets the data
  CHECK(t.lines == std::vector<std::string>{"> 00 87 03 9B 04 7C 02 80 00 00", "< ** ** 61 08", "> 00 C0 00 00 08",
                                            "< ** ** ** ** ** ** ** ** ** ** 90 00"});
}

TEST_CASE("transmit_ok returns the data or throws the decoded status word with context") {
  ScriptedConnection card({{"00 CB 3F FF 05 5C 03 5F C1 02 00", "53 00 90 00"},
                           {"00 CB 3F FF 05 5C 03 5F C1 02 00", "6A 82"}});
  Channel ch(card);
  CHECK(hex(ch.transmit_ok(get_chuid(256), "reading the CHUID")) == "5300");
  try {
    ch.transmit_ok(get_chuid(256), "reading the CHUID");
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::not_found);
    CHECK(e.status_word() == 0x6A82);
    CHECK(std::string(e.what()).rfind("reading the CHUID: ", 0) == 0);
  }
}

TEST_CASE("transport errors pass through unchanged, and a too-long secret is refused without its bytes") {
  struct Gone : ScriptedConnection {
    Gone() : ScriptedConnection(Script{}) {}
    apdu::Response transmit(ByteView) override {
      throw Error(ErrorKind::card_removed, "card removed from reader 'R 00 00'");
    }
  } gone;
  Channel ch(gone);
  try {
    ch.transmit(get_chuid(256));
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::card_removed);
    CHECK(std::string(e.what()) == "card removed from reader 'R 00 00'");
  }

  ScriptedConnection card(ScriptedConnection::Script{});
  card.set_extended_length(true);
  Channel ext(card);
  apdu::Command huge{0x00, apdu::ins::put_data, 0x3F, 0xFF, SecureBytes(70000, 0x5A), std::nullopt, true};
  try {
    ext.transmit(huge);
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("5A") == std::string::npos);
    CHECK(std::string(e.what()).find("5a") == std::string::npos);
  }
  CHECK(ext.apdu_count() == 0);
}
