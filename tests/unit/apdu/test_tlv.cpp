// BER-TLV as PIV uses it (ISO 7816-4 §5.2.2): lengths in 1, 2 and 3 bytes, tags of 1-3 bytes, nested
// templates; malformed input is a protocol error and never a read past the end.
#include <doctest/doctest.h>

#include <type_traits>

#include "cardctl/error.hpp"
#include "cardctl/tlv.hpp"

using namespace cardctl;

namespace {
void check_malformed(const char* hex) {
  CAPTURE(hex);
  try {
    tlv::parse(from_hex(hex));
    FAIL("expected a malformed-TLV error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::protocol);
  }
}
}  // namespace

TEST_CASE("lengths are written in 1, 2 or 3 bytes") {
  CHECK(tlv::encode_length(0) == Bytes{0x00});
  CHECK(tlv::encode_length(0x7F) == Bytes{0x7F});
  CHECK(tlv::encode_length(0x80) == Bytes{0x81, 0x80});
  CHECK(tlv::encode_length(0xFF) == Bytes{0x81, 0xFF});
  CHECK(tlv::encode_length(0x100) == Bytes{0x82, 0x01, 0x00});
  CHECK(tlv::encode_length(0xFFFF) == Bytes{0x82, 0xFF, 0xFF});
  CHECK_THROWS_AS(tlv::encode_length(0x10000), Error);
}

TEST_CASE("every length form parses back to its value") {
  for (std::size_t n : {0u, 1u, 0x7Fu, 0x80u, 0xFFu, 0x100u, 300u, 3000u}) {
    CAPTURE(n);
    Bytes value(n);
    for (std::size_t i = 0; i < n; ++i) value[i] = static_cast<std::uint8_t>(i);
    const Bytes enc = tlv::encode(0x53, value);
    CHECK(enc.size() == 1 + tlv::encode_length(n).size() + n);
    std::size_t used = 0;
    const tlv::Item item = tlv::parse_one(enc, used);
    CHECK(used == enc.size());
    CHECK(item.tag == 0x53);
    CHECK(Bytes(item.value.begin(), item.value.end()) == value);
    CHECK(item.raw.size() == enc.size());
  }
  // BER allows a longer length form than needed; cards use it, so it is read.
  CHECK(to_hex(tlv::expect(from_hex("53 81 02 AA BB"), 0x53)) == "aabb");
  CHECK(to_hex(tlv::expect(from_hex("53 82 00 01 CC"), 0x53)) == "cc");
}

TEST_CASE("multi-byte tags: 5FC102, 7F49, 5F2F") {
  for (std::uint32_t tag : {0x5FC102u, 0x7F49u, 0x5F2Fu, 0x9F7Fu, 0x7Cu, 0x01u}) {
    CAPTURE(tag);
    const auto items = tlv::parse(tlv::encode(tag, Bytes{1, 2, 3}));
    REQUIRE(items.size() == 1);
    CHECK(items[0].tag == tag);
    CHECK(items[0].value.size() == 3);
  }
  CHECK(to_hex_upper(tlv::encode(0x5FC102, Bytes{0xAA})) == "5FC10201AA");
  CHECK(to_hex_upper(tlv::encode(0x7F49, {})) == "7F4900");
}

TEST_CASE("nested 7C dynamic authentication template (SP 800-73-4 Part 2 §3.2.4)") {
  Bytes body = tlv::encode(0x80, from_hex("0102030405060708"));
  tlv::append(body, 0x81, from_hex("1112131415161718"));
  tlv::append(body, 0x82, {});
  const Bytes outer = tlv::encode(0x7C, body);
  CHECK(to_hex_upper(outer) == "7C16" "80080102030405060708" "81081112131415161718" "8200");

  const ByteView value = tlv::expect(outer, 0x7C);
  const auto items = tlv::parse(value);
  REQUIRE(items.size() == 3);
  CHECK(items[0].tag == 0x80);
  CHECK(items[1].tag == 0x81);
  CHECK(items[2].tag == 0x82);
  CHECK(items[2].value.empty());
  CHECK(to_hex(*tlv::find(value, 0x81)) == "1112131415161718");
  CHECK(tlv::find(value, 0x82)->empty());
  CHECK_FALSE(tlv::find(value, 0x85).has_value());
  // Views point into the parsed buffer, not into copies.
  CHECK(items[0].raw.data() == value.data());
}

TEST_CASE("find returns the first of repeated tags; parse of nothing is nothing") {
  const Bytes data = from_hex("53 01 AA 53 01 BB");
  CHECK(to_hex(*tlv::find(data, 0x53)) == "aa");
  CHECK(tlv::parse({}).empty());
  CHECK_FALSE(tlv::find({}, 0x53).has_value());
}

TEST_CASE("expect wants exactly one TLV with the given tag") {
  CHECK(to_hex(tlv::expect(from_hex("7C 02 81 00"), 0x7C)) == "8100");
  for (const char* bad : {"7C 00 00", "53 00", "7C 00 7C 00", ""}) {
    CAPTURE(bad);
    try {
      tlv::expect(from_hex(bad), 0x7C);
      FAIL("expected an error");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::protocol);
    }
  }
}

TEST_CASE("truncated and overlong TLVs are protocol errors") {
  check_malformed("7C");                  // no length
  check_malformed("5F");                  // two-byte tag cut short
  check_malformed("5F C1");               // three-byte tag cut short
  check_malformed("7C 05 81 01 00");      // value longer than the data
  check_malformed("7C 81");               // 81 form without its length byte
  check_malformed("7C 82 01");            // 82 form with one of two length bytes
  check_malformed("53 82 01 00 AA");      // 256 bytes announced, 1 present
  check_malformed("53 01 AA 53");         // a good TLV, then a cut one
  check_malformed("7C 80 00 00");         // indefinite length
  check_malformed("7C 83 00 00 01 00");   // 4-byte length form
  check_malformed("7C 84 00 00 00 01 00");
  check_malformed("5F C1 C1 01 00");      // tag longer than 3 bytes
  check_malformed("9F 9F 9F 9F 01 00");
  // find reads the whole sequence, so damage after the wanted TLV is not ignored.
  CHECK_THROWS_AS(tlv::find(from_hex("53 01 AA 7C 05"), 0x53), Error);
}

TEST_CASE("encode_secure writes the same bytes as encode into a self-wiping buffer; append grows either") {
  static_assert(std::is_same_v<decltype(tlv::encode_secure(0x80, ByteView{})), SecureBytes>);
  for (std::size_t n : {0u, 8u, 0x7Fu, 0x80u, 0x100u, 300u}) {
    CAPTURE(n);
    const Bytes value(n, 0xA5);
    const SecureBytes secure = tlv::encode_secure(0x5FC102, value);
    CHECK(to_hex(secure) == to_hex(tlv::encode(0x5FC102, value)));
  }
  // The mutual authentication template (SP 800-73-4 Part 2 §3.2.4): 7C { 80 witness, 81 challenge }.
  SecureBytes body = tlv::encode_secure(0x80, from_hex("0102030405060708"));
  tlv::append(body, 0x81, from_hex("1112131415161718"));
  Bytes plain = tlv::encode(0x80, from_hex("0102030405060708"));
  tlv::append(plain, 0x81, from_hex("1112131415161718"));
  CHECK(to_hex(body) == to_hex(plain));
  CHECK(to_hex_upper(tlv::encode_secure(0x7C, body)) == "7C14800801020304050607088108" "1112131415161718");
  const SecureBytes outer = tlv::encode_secure(0x7C, body);  // the items view into it: keep it alive
  const auto items = tlv::parse(tlv::expect(outer, 0x7C));
  REQUIRE(items.size() == 2);
  CHECK(to_hex_upper(items[1].value) == "1112131415161718");
}
