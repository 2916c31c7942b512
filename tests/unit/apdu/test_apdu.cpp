#include <doctest/doctest.h>

#include "cardctl/apdu.hpp"

using namespace cardctl;
using namespace cardctl::apdu;

TEST_CASE("encode: the four ISO cases, short and extended") {
  CHECK(to_hex_upper(encode({0x00, 0x20, 0x00, 0x80, {}, std::nullopt})) == "00200080");
  CHECK(to_hex_upper(encode({0x00, 0xFD, 0x00, 0x00, {}, 256})) == "00FD000000");
  CHECK(to_hex_upper(encode({0x00, 0xA4, 0x04, 0x00, from_hex("A000000308"), std::nullopt})) == "00A4040005A000000308");
  CHECK(to_hex_upper(encode({0x00, 0xA4, 0x04, 0x00, from_hex("A000000308"), 256})) == "00A4040005A00000030800");
  CHECK(to_hex_upper(encode({0x00, 0xCB, 0x3F, 0xFF, from_hex("5C017E"), 256}, true)) == "00CB3FFF0000035C017E0100");
  Bytes big(300, 0xAB);
  Bytes e = encode({0x00, 0xDB, 0x3F, 0xFF, big, std::nullopt});
  CHECK(e.size() == 4 + 3 + 300);
  CHECK(e[4] == 0x00);
  CHECK(e[5] == 0x01);
  CHECK(e[6] == 0x2C);
}

TEST_CASE("parse_command: every case round-trips; 5 bytes is case 2") {
  auto c2 = parse_command(from_hex("0020008000"));
  CHECK(c2.data.empty());
  CHECK(c2.le == 256);
  auto c1 = parse_command(from_hex("00200080"));
  CHECK_FALSE(c1.le.has_value());
  auto c4 = parse_command(from_hex("00A4040009A0000003080000100000"));
  CHECK(c4.data.size() == 9);
  CHECK(c4.le == 256);
  auto c3 = parse_command(from_hex("0020008008313233343536FFFF"));
  CHECK(c3.data.size() == 8);
  CHECK_FALSE(c3.le.has_value());
  Bytes big(300, 1);
  auto ext = parse_command(encode({0x00, 0xDB, 0x3F, 0xFF, big, 65536}, true));
  CHECK(ext.data == big);
  CHECK(ext.le == 65536);
  auto ext2 = parse_command(from_hex("00CB3FFF000100"));
  CHECK(ext2.le == 256);
}

TEST_CASE("parse_command: malformed APDUs are wrong_data errors") {
  for (const char* bad : {"", "00", "00A404", "00A4040005A0", "00A4040002A0A0A0A0", "00DB3FFF00000AA0"}) {
    CAPTURE(bad);
    try {
      parse_command(from_hex(bad));
      FAIL("expected an error");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::wrong_data);
    }
  }
}

TEST_CASE("status words map to typed errors (one table)") {
  struct Row {
    std::uint16_t sw;
    ErrorKind kind;
  };
  const Row rows[] = {{0x63C2, ErrorKind::wrong_pin}, {0x63C0, ErrorKind::wrong_pin}, {0x6300, ErrorKind::wrong_pin},
                      {0x6983, ErrorKind::blocked},   {0x6982, ErrorKind::security_status},
                      {0x6A82, ErrorKind::not_found}, {0x6A80, ErrorKind::wrong_data},
                      {0x6700, ErrorKind::wrong_data}, {0x6A86, ErrorKind::wrong_data},
                      {0x6B00, ErrorKind::wrong_data}, {0x6D00, ErrorKind::unsupported},
                      {0x6A81, ErrorKind::unsupported}, {0x6E00, ErrorKind::unsupported},
                      {0x6985, ErrorKind::wrong_data}, {0x6F00, ErrorKind::protocol},
                      {0x6999, ErrorKind::protocol}};
  for (const auto& row : rows) {
    CAPTURE(row.sw);
    Error e = error_for_sw(row.sw, "doing it");
    CHECK(e.kind() == row.kind);
    CHECK(e.status_word() == row.sw);
    CHECK(std::string(e.what()).rfind("doing it: ", 0) == 0);
  }
  CHECK(error_for_sw(0x63C2, "x").retries() == 2);
  CHECK(describe_sw(0x63C1) == "63C1 (verification failed, 1 tries left)");
  CHECK_NOTHROW(check({{}, 0x9000}, "ok"));
  CHECK_THROWS_AS(check({{}, 0x6982}, "not ok"), Error);
  CHECK_THROWS_AS(parse_response(from_hex("90")), Error);
}
