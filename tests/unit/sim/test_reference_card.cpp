// The reference card at the APDU level: the bytes yubico-piv-tool and OpenSC depend on
// (docs/protocol.md).
#include <doctest/doctest.h>

#include "cardctl/sim_card.hpp"

using namespace cardctl;

namespace {
std::string send(sim::ReferenceCard& card, const char* hex) { return to_hex_upper(card.process(from_hex(hex))); }
sim::ReferenceCard fresh() { return sim::ReferenceCard::factory({.serial = 12345678}); }
const char* kVerifyRight = "0020008008313233343536FFFF";
const char* kAuthTdes = "0087039B047C028100";  // external authenticate, step 1
}  // namespace

TEST_CASE("SELECT: 5, 9 and 11-byte PIV AIDs answer the YubiKey application property template") {
  auto card = fresh();
  const std::string apt = "61114F0600001000010079074F05A0000003089000";
  CHECK(send(card, "00A4040005A000000308") == apt);
  CHECK(send(card, "00A4040009A00000030800001000") == apt);
  CHECK(send(card, "00A4040009A0000003080000100000") == apt);  // OpenSC's form, with Le
  CHECK(send(card, "00A404000BA000000308000010000100") == apt);
  CHECK(send(card, "00A4040004A0000003") == "6A82");           // shorter than the RID+PIX prefix
}

TEST_CASE("an unknown AID keeps the selection; the Yubico management AID ends the PIV session") {
  auto card = fresh();
  CHECK(send(card, kVerifyRight) == "9000");
  CHECK(send(card, "00A4040008A000000527200101") == "6A82");
  CHECK(send(card, "0020008000") == "9000");  // still verified
  CHECK(send(card, "00A4040005A000000308") .substr(0, 4) == "6111");
  CHECK(send(card, "0020008000") == "9000");  // re-SELECT of PIV keeps it (YubiKey 5)
  CHECK(send(card, "00A4040008A000000527471117").ends_with("9000"));
  CHECK(send(card, "0020008000") == "6D00");  // PIV is not selected
  send(card, "00A4040005A000000308");
  CHECK(send(card, "0020008000") == "63C3");  // fresh session
}

TEST_CASE("empty VERIFY in both client forms; logout with P1=FF") {
  auto card = fresh();
  CHECK(send(card, "00200080") == "63C3");    // OpenSC: case 1
  CHECK(send(card, "0020008000") == "63C3");  // yubico-piv-tool: 5 bytes, case 2
  CHECK(send(card, kVerifyRight) == "9000");
  CHECK(send(card, "00200080") == "9000");
  CHECK(send(card, "0020FF80") == "9000");
  CHECK(send(card, "00200080") == "63C3");
}

TEST_CASE("VERIFY: a malformed PIN is a wrong PIN (63Cx, counted), as on a YubiKey 5; a wrong length is 6A80") {
  auto card = fresh();
  CHECK(send(card, "0020008008313233FFFFFFFFFF") == "63C2");  // 3 characters
  CHECK(send(card, "0020008008313233343536FF31") == "63C1");  // data after the padding
  CHECK(send(card, kVerifyRight) == "9000");                  // the right PIN restores the counter
  CHECK(send(card, "0020FF80") == "9000");
  CHECK(send(card, "0020008006313233343536") == "6A80");      // not 8 bytes: not counted
  CHECK(send(card, "00200080") == "63C3");
  // All FF (an empty PIN) three times blocks the PIN.
  CHECK(send(card, "0020008008FFFFFFFFFFFFFFFF") == "63C2");
  CHECK(send(card, "0020008008FFFFFFFFFFFFFFFF") == "63C1");
  CHECK(send(card, "0020008008FFFFFFFFFFFFFFFF") == "63C0");
  CHECK(send(card, "0020008008FFFFFFFFFFFFFFFF") == "6983");
  CHECK(send(card, kVerifyRight) == "6983");
}

TEST_CASE("CHANGE REFERENCE and RESET RETRY COUNTER: a malformed current value counts; a malformed new one is 6A80") {
  auto card = fresh();
  const std::string ff8 = "FFFFFFFFFFFFFFFF";
  // Current PIN all FF: wrong, counted, even with a malformed new PIN.
  CHECK(send(card, ("0024008010" + ff8 + ff8).c_str()) == "63C2");
  // Right current PIN, new PIN of 3 characters: refused for its format, the counter restored, the PIN unchanged.
  CHECK(send(card, ("0024008010313233343536FFFF313233" + std::string("FFFFFFFFFF")).c_str()) == "6A80");
  CHECK(send(card, "00200080") == "63C3");
  CHECK(send(card, kVerifyRight) == "9000");
  // PUK all FF in RESET RETRY COUNTER: a wrong PUK; three of them block the PUK.
  CHECK(send(card, ("002C008010" + ff8 + ff8).c_str()) == "63C2");
  CHECK(send(card, ("002C008010" + ff8 + ff8).c_str()) == "63C1");
  CHECK(send(card, ("002C008010" + ff8 + ff8).c_str()) == "63C0");
  CHECK(send(card, ("002C008010" + ff8 + ff8).c_str()) == "6983");
  CHECK(card.retry_counters().puk_left == 0);
  // Right PUK with a malformed new PIN (fresh card): 6A80, nothing changed.
  auto other = fresh();
  CHECK(send(other, ("002C0080103132333435363738" + ff8).c_str()) == "6A80");
  CHECK(send(other, kVerifyRight) == "9000");
}

TEST_CASE("reset as ykman does it: all-FF PIN and PUK until blocked, then RESET restores the factory PIN") {
  auto card = fresh();
  const std::string ff8 = "FFFFFFFFFFFFFFFF";
  CHECK(send(card, "0024008010313233343536FFFF363534333231FFFF") == "9000");  // PIN now 654321
  for (const char* sw : {"63C2", "63C1", "63C0"}) CHECK(send(card, ("0020008008" + ff8).c_str()) == sw);
  CHECK(send(card, "00FB0000") == "6985");  // the PUK still works
  for (const char* sw : {"63C2", "63C1", "63C0"}) CHECK(send(card, ("002C008010" + ff8 + ff8).c_str()) == sw);
  CHECK(send(card, "00FB0000") == "9000");
  CHECK(send(card, kVerifyRight) == "9000");  // factory PIN 123456
}

TEST_CASE("the challenge is single-use; a response without one is 6985, a wrong one 6982") {
  auto card = fresh();
  card.set_random([](std::span<std::uint8_t> out) { std::fill(out.begin(), out.end(), 0x11); });
  CHECK(send(card, kAuthTdes) == "7C0A81081111111111111111" "9000");
  CHECK(send(card, "0087039B0C7C0A82080000000000000000") == "6982");
  CHECK(send(card, "0087039B0C7C0A82080000000000000000") == "6985");
  CHECK(send(card, "0087089B047C028100") == "6A86");  // AES P1 for a TDES key
  CHECK(send(card, "0087009B047C028100").substr(0, 8) == "7C0A8108");  // P1 00 means TDES (OpenSC)
}

TEST_CASE("PUT DATA needs the admin key; a missing object is 6A82; GET RESPONSE with nothing pending is 6985") {
  auto card = fresh();
  CHECK(send(card, "00DB3FFF095C035FC105530211 22") == "6982");
  CHECK(send(card, "00CB3FFF055C035FC10500") == "6A82");
  CHECK(send(card, "00CB3FFF035C017E00") == "7E124F0BA0000003080000100001005F2F0240009000");  // discovery
  CHECK(send(card, "00C0000000") == "6985");
}

TEST_CASE("command chaining: intermediate blocks answer 9000, the last one gets the answer") {
  auto card = fresh();
  CHECK(send(card, "102000800431323334") == "9000");
  CHECK(send(card, "00200080043536FFFF") == "9000");  // 31 32 33 34 35 36 FF FF: the right PIN
  CHECK(send(card, "0020FF80") == "9000");
  CHECK(send(card, "102000800431323334") == "9000");
  CHECK(send(card, "00200080043536FF31") == "63C2");  // reassembled, then a wrong (badly padded) PIN
  CHECK(send(card, "00200080") == "63C2");
}

TEST_CASE("GET VERSION, GET SERIAL, and a card without serial") {
  auto card = fresh();
  CHECK(send(card, "00FD000000") == "0504039000");
  CHECK(send(card, "00F8000000") == "00BC614E9000");
  auto anon = sim::ReferenceCard::factory({});
  CHECK(send(anon, "00F8000000") == "6D00");
}

TEST_CASE("the Yubico management application: SELECT gives the version as text, READ CONFIG the device info") {
  auto card = fresh();
  // "Virtual mgr - FW version 5.4.3"
  CHECK(send(card, "00A4040008A000000527471117") == to_hex_upper(to_bytes("Virtual mgr - FW version 5.4.3")) + "9000");
  // Length 20, then 01 USB supported (PIV), 02 serial 12345678, 03 USB enabled (PIV), 04 form factor, 0A unlocked.
  CHECK(send(card, "001D000000") == "1401020010020400BC614E030200100401000A01009000");
  CHECK(send(card, "001D0100") == "6A86");
  CHECK(send(card, "001C000000") == "6D00");  // WRITE CONFIG: nothing can be configured
  CHECK(send(card, "00FD000000") == "6D00");  // PIV commands need PIV selected
  CHECK(send(card, "00A4040005A000000308").substr(0, 4) == "6111");
  CHECK(send(card, "001D000000") == "6D00");  // and READ CONFIG needs the management application
  auto anon = sim::ReferenceCard::factory({.version_major = 5, .version_minor = 7, .version_patch = 1});
  CHECK(send(anon, "00A4040008A000000527471117") == to_hex_upper(to_bytes("Virtual mgr - FW version 5.7.1")) + "9000");
  CHECK(send(anon, "001D000000") == "0E01020010030200100401000A01009000");  // no serial: no tag 02
}

TEST_CASE("the ATR is T=1 with a correct check byte and not a YubiKey's") {
  auto atr = fresh().atr();
  REQUIRE(atr.size() > 4);
  CHECK(atr[0] == 0x3B);
  std::uint8_t x = 0;
  for (std::size_t i = 1; i < atr.size(); ++i) x ^= atr[i];
  CHECK(x == 0);  // TCK makes the XOR of T0..TCK zero
  CHECK(to_hex(atr).find(to_hex(to_bytes("Yubikey"))) == std::string::npos);
}
