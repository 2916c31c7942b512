#include <doctest/doctest.h>

#include "cardctl/error.hpp"
#include "cardctl/tlv.hpp"

using namespace cardctl;

TEST_CASE("lengths in 1, 2 and 3 bytes") {
  CHECK(tlv::encode_length(0x7F) == Bytes{0x7F});
  CHECK(tlv::encode_length(0x80) == Bytes{0x81, 0x80});
  CHECK(tlv::encode_length(0x1234) == Bytes{0x82, 0x12, 0x34});
  Bytes big(300, 7);
  auto enc = tlv::encode(0x53, big);
  std::size_t used = 0;
  auto item = tlv::parse_one(enc, used);
  CHECK(used == enc.size());
  CHECK(item.value.size() == 300);
}

TEST_CASE("multi-byte tags and nested templates") {
  Bytes inner = tlv::encode(0x81, from_hex("0102030405060708"));
  Bytes outer = tlv::encode(0x7C, inner);
  CHECK(to_hex_upper(outer) == "7C0A81080102030405060708");
  auto value = tlv::expect(outer, 0x7C);
  CHECK(to_hex(*tlv::find(value, 0x81)) == "0102030405060708");
  Bytes pk = tlv::encode(0x7F49, tlv::encode(0x86, Bytes(65, 4)));
  CHECK(tlv::parse(pk).front().tag == 0x7F49);
  CHECK(tlv::parse(tlv::encode(0x5FC102, Bytes(3))).front().tag == 0x5FC102);
  CHECK_FALSE(tlv::find(value, 0x82).has_value());
}

TEST_CASE("malformed TLV is a protocol error, never a read past the end") {
  for (const char* bad : {"7C", "7C05810100", "7C8105", "7C8201", "5F", "7C84000001", "9F9F9F9F0100"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(tlv::parse(from_hex(bad)), Error);
  }
  CHECK_THROWS_AS(tlv::expect(from_hex("7C00 00"), 0x7C), Error);
  CHECK_THROWS_AS(tlv::expect(from_hex("5300"), 0x7C), Error);
}
