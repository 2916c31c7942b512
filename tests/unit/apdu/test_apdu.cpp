// Command and response APDUs (ISO 7816-4 §5.1): every case, short and extended, both directions; malformed
// commands are wrong_data errors and nothing else.
#include <doctest/doctest.h>

#include <type_traits>
#include <utility>

#include "cardctl/apdu.hpp"

using namespace cardctl;
using namespace cardctl::apdu;

namespace {
struct Case {
  const char* name;
  const char* wire;
  Command cmd;
  bool extended;
};

SecureBytes repeat(std::size_t n, std::uint8_t v) { return SecureBytes(n, v); }

const Case kCases[] = {
    {"case 1", "00 20 00 80", {0x00, 0x20, 0x00, 0x80, {}, std::nullopt}, false},
    {"case 2 short, Le 00 = 256 (5 bytes, as yubico-piv-tool sends)", "00 FD 00 00 00",
     {0x00, 0xFD, 0x00, 0x00, {}, 256}, false},
    {"case 2 short, Le 10", "00 C0 00 00 10", {0x00, 0xC0, 0x00, 0x00, {}, 16}, false},
    {"case 3 short", "00 A4 04 00 05 A0 00 00 03 08",
     {0x00, 0xA4, 0x04, 0x00, {0xA0, 0x00, 0x00, 0x03, 0x08}, std::nullopt}, false},
    {"case 4 short, Le 00", "00 A4 04 00 09 A0 00 00 03 08 00 00 10 00 00",
     {0x00, 0xA4, 0x04, 0x00, {0xA0, 0x00, 0x00, 0x03, 0x08, 0x00, 0x00, 0x10, 0x00}, 256}, false},
    {"case 4 short, Le 08", "00 CB 3F FF 05 5C 03 5F C1 02 08",
     {0x00, 0xCB, 0x3F, 0xFF, {0x5C, 0x03, 0x5F, 0xC1, 0x02}, 8}, false},
    {"case 2 extended, Le 0000 = 65536", "00 CB 3F FF 00 00 00", {0x00, 0xCB, 0x3F, 0xFF, {}, 65536}, true},
    {"case 2 extended, Le 0100", "00 C0 00 00 00 01 00", {0x00, 0xC0, 0x00, 0x00, {}, 256}, true},
    {"case 3 extended", "00 DB 3F FF 00 00 03 5C 01 7E", {0x00, 0xDB, 0x3F, 0xFF, {0x5C, 0x01, 0x7E}, std::nullopt},
     true},
    {"case 4 extended, Le 0000", "00 CB 3F FF 00 00 03 5C 01 7E 00 00",
     {0x00, 0xCB, 0x3F, 0xFF, {0x5C, 0x01, 0x7E}, 65536}, true},
    {"case 4 extended, Le 1234", "80 CB 3F FF 00 00 03 5C 01 7E 12 34",
     {0x80, 0xCB, 0x3F, 0xFF, {0x5C, 0x01, 0x7E}, 0x1234}, true},
};

void check_same(const Command& got, const Command& want) {
  CHECK(got.cla == want.cla);
  CHECK(got.ins == want.ins);
  CHECK(got.p1 == want.p1);
  CHECK(got.p2 == want.p2);
  CHECK(got.data == want.data);
  CHECK(got.le == want.le);
}

void check_malformed(ByteView raw) {
  try {
    parse_command(raw);
    FAIL("expected a malformed-APDU error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::wrong_data);
  }
}
}  // namespace

TEST_CASE("encode and parse_command agree on every ISO case, short and extended") {
  for (const auto& c : kCases) {
    CAPTURE(c.name);
    CHECK(to_hex_upper(encode(c.cmd, c.extended)) == to_hex_upper(from_hex(c.wire)));
    check_same(parse_command(from_hex(c.wire)), c.cmd);
  }
}

TEST_CASE("encode switches to extended length when the data or Le do not fit a short APDU") {
  SecureBytes e = encode({0x00, 0xDB, 0x3F, 0xFF, repeat(300, 0xAB), std::nullopt});
  REQUIRE(e.size() == 4 + 3 + 300);
  CHECK(to_hex_upper(ByteView(e).first(7)) == "00DB3FFF00012C");
  check_same(parse_command(e), {0x00, 0xDB, 0x3F, 0xFF, repeat(300, 0xAB), std::nullopt});

  CHECK(to_hex_upper(encode({0x00, 0xCB, 0x3F, 0xFF, {}, 1000})) == "00CB3FFF0003E8");
  CHECK(to_hex_upper(encode({0x00, 0xCB, 0x3F, 0xFF, {0x5C}, 257})) == "00CB3FFF0000015C0101");
  // 255 bytes and Le 256 still fit a short APDU.
  SecureBytes s = encode({0x00, 0xDB, 0x3F, 0xFF, repeat(255, 1), 256});
  CHECK(s.size() == 4 + 1 + 255 + 1);
  CHECK(s[4] == 0xFF);
  CHECK(s.back() == 0x00);
}

TEST_CASE("encode refuses data that no APDU can carry") {
  CHECK_THROWS_AS(encode({0x00, 0xDB, 0x3F, 0xFF, repeat(65536, 0), std::nullopt}), Error);
  CHECK(encode({0x00, 0xDB, 0x3F, 0xFF, repeat(65535, 0), std::nullopt}).size() == 4 + 3 + 65535);
}

TEST_CASE("parse_command: malformed APDUs are wrong_data errors") {
  const char* bad[] = {
      "",                            // empty
      "00",                          // shorter than a header
      "00 A4 04",                    //
      "00 A4 04 00 05 A0",           // Lc 5, 1 data byte
      "00 A4 04 00 02 A0 A0 A0 A0",  // Lc 2, 4 bytes follow
      "00 A4 04 00 03 01 02 03 00 00",  // Lc 3 and two trailing bytes
      "00 CB 3F FF 00 00",           // 6 bytes with byte 4 = 00: neither short nor extended
      "00 CB 3F FF 00 00 00 00",     // extended Lc of zero
      "00 DB 3F FF 00 00 0A A0",     // extended Lc 10, 1 data byte
      "00 DB 3F FF 00 00 02 01 02 00",  // extended case 4 with a one-byte Le
      "00 DB 3F FF 00 00 01 01 00 00 00",  // extended, three bytes after the data
  };
  for (const char* b : bad) {
    CAPTURE(b);
    check_malformed(from_hex(b));
  }
}

TEST_CASE("parse_command: every truncation of a valid APDU parses or is a wrong_data error") {
  for (const char* wire : {"00 A4 04 00 09 A0 00 00 03 08 00 00 10 00 00", "00 CB 3F FF 00 00 03 5C 01 7E 00 00"}) {
    const Bytes full = from_hex(wire);
    for (std::size_t n = 0; n <= full.size(); ++n) {
      CAPTURE(wire);
      CAPTURE(n);
      const ByteView part = ByteView(full).first(n);
      try {
        Command c = parse_command(part);
        // What parses is the same APDU again when encoded in its own form.
        const bool extended = n >= 7 && part[4] == 0;
        CHECK(encode(c, extended) == SecureBytes(part.begin(), part.end()));
      } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::wrong_data);
      }
    }
  }
}

TEST_CASE("responses: data and status word") {
  Response r = parse_response(from_hex("01 02 6A 82"));
  CHECK(r.data == Bytes{0x01, 0x02});
  CHECK(r.sw == 0x6A82);
  CHECK(r.sw1() == 0x6A);
  CHECK(r.sw2() == 0x82);
  CHECK_FALSE(r.ok());
  CHECK(encode_response(r) == from_hex("01 02 6A 82"));

  Response ok = parse_response(from_hex("90 00"));
  CHECK(ok.ok());
  CHECK(ok.data.empty());

  for (const char* bad : {"", "90"}) {
    CAPTURE(bad);
    try {
      parse_response(from_hex(bad));
      FAIL("expected an error");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::protocol);
    }
  }
}

// Issue 6 item 18: wiping is structural. A command's data field may be a PIN, PUK or key (SP 800-73-4 Part 2
// §3.2.1-§3.2.3), so the field and the encoded APDU are self-wiping buffers, not Bytes wiped by hand.
TEST_CASE("command data and the encoded APDU are SecureBytes, and encode as before") {
  static_assert(std::is_same_v<decltype(Command::data), SecureBytes>);
  static_assert(std::is_same_v<decltype(encode(std::declval<const Command&>())), SecureBytes>);
  static_assert(std::is_same_v<SecureBytes::allocator_type, WipingAllocator<std::uint8_t>>);
  const Command verify{0x00, 0x20, 0x00, 0x80, to_secure(from_hex("313233343536FFFF")), std::nullopt, true};
  const SecureBytes raw = encode(verify);
  CHECK(to_hex_upper(raw) == "0020008008313233343536FFFF");
  const Command back = parse_command(raw);
  CHECK(to_hex_upper(back.data) == "313233343536FFFF");
  CHECK_FALSE(back.secret_data);  // the wire does not say what is secret: the sender marks it
}
