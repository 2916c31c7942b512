// `cardsim serve --profile`: which figure each command gets (tools/cardsim/delay_profile.hpp). No test here
// measures time; each checks the delay delay_for computes.
#include <doctest/doctest.h>

#include <string>

#include "cardctl/error.hpp"
#include "delay_profile.hpp"

using namespace cardsim;
using cardctl::from_hex;
using std::chrono::microseconds;
using std::chrono::milliseconds;

namespace {

constexpr std::uint16_t kOk = 0x9000;

// Every figure different, so that a sum says which ones were added.
DelayProfile distinct() {
  DelayProfile p;
  p.apdu = microseconds(1);
  p.keygen = {{0x07, microseconds(10)}, {0x11, microseconds(100)}};
  p.sign = {{0x07, microseconds(1000)}, {0x11, microseconds(10000)}};
  p.admin = microseconds(100000);
  return p;
}

const char* kVerify = "0020008008313233343536FFFF";
const char* kGenerateRsa2048 = "0047009A05AC03800107";
const char* kGenerateP256Policies = "0047009C0BAC09800111AA0102AB0102";
// GENERAL AUTHENTICATE, P-256 in 9A, sign a 32-byte digest: 7C 24 { 82 00, 81 20 <digest> }.
const std::string kSignP256 = "0087119A267C2482008120" + std::string(64, 'A') + "00";
// The management key's steps (TDES 03, AES-192 0A): witness request, then witness + challenge.
const char* kAdminWitness = "0087039B047C028000";
const char* kAdminMutual = "00870A9B167C14800800112233445566778108AABBCCDDEEFF0011";

}  // namespace

TEST_CASE("VERIFY gets the APDU figure only") {
  CHECK(delay_for(from_hex(kVerify), kOk, distinct()) == microseconds(1));
  const DelayProfile yk = profile("yubikey5");
  CHECK(delay_for(from_hex(kVerify), kOk, yk) == yk.apdu);
  CHECK(yk.apdu > microseconds(0));
}

TEST_CASE("GENERATE gets the APDU figure and the key generation figure of its algorithm") {
  CHECK(delay_for(from_hex(kGenerateRsa2048), kOk, distinct()) == microseconds(1 + 10));
  CHECK(delay_for(from_hex(kGenerateP256Policies), kOk, distinct()) == microseconds(1 + 100));
  const DelayProfile yk = profile("yubikey5");
  CHECK(delay_for(from_hex(kGenerateRsa2048), kOk, yk) == yk.apdu + yk.keygen.at(0x07));
  CHECK(yk.keygen.at(0x07) > yk.keygen.at(0x11));  // RSA key generation is the slow one
  // Refused (no admin authentication): a real card says so at once.
  CHECK(delay_for(from_hex(kGenerateRsa2048), 0x6982, distinct()) == microseconds(1));
  // An algorithm without a figure, or no algorithm at all.
  CHECK(delay_for(from_hex("0047009A05AC038001E0"), kOk, distinct()) == microseconds(1));
  CHECK(delay_for(from_hex("0047009A02AB01"), kOk, distinct()) == microseconds(1));
}

TEST_CASE("GENERAL AUTHENTICATE with a private key gets the sign figure of its algorithm") {
  CHECK(delay_for(from_hex(kSignP256), kOk, distinct()) == microseconds(1 + 10000));
  const DelayProfile yk = profile("yubikey5");
  CHECK(delay_for(from_hex(kSignP256), kOk, yk) == yk.apdu + yk.sign.at(0x11));
  CHECK(yk.sign.at(0x11) > microseconds(0));
  // A long answer still to be fetched (61xx) is the work done; PIN not verified (6982) is no work.
  CHECK(delay_for(from_hex(kSignP256), 0x6100, distinct()) == microseconds(1 + 10000));
  CHECK(delay_for(from_hex(kSignP256), 0x6982, distinct()) == microseconds(1));
  // RSA 2048 in two chained blocks: the first is only buffered, the last does the work.
  CHECK(delay_for(from_hex("1087079A067C8201068200"), kOk, distinct()) == microseconds(1));
  CHECK(delay_for(from_hex("0087079A0B0001020304050607080900"), kOk, distinct()) == microseconds(1 + 1000));
}

TEST_CASE("the management key's witness and challenge steps get the admin figure, not a sign figure") {
  CHECK(delay_for(from_hex(kAdminWitness), kOk, distinct()) == microseconds(1 + 100000));
  CHECK(delay_for(from_hex(kAdminMutual), kOk, distinct()) == microseconds(1 + 100000));
  const DelayProfile yk = profile("yubikey5");
  CHECK(delay_for(from_hex(kAdminWitness), kOk, yk) == yk.apdu + yk.admin);
  CHECK(yk.admin < yk.sign.at(0x11));
}

TEST_CASE("GET RESPONSE, a malformed APDU and the none profile get no more than the APDU figure") {
  CHECK(delay_for(from_hex("00C0000000"), kOk, distinct()) == microseconds(1));
  CHECK(delay_for(from_hex("0087"), kOk, distinct()) == microseconds(1));
  const DelayProfile none = profile("none");
  for (const std::string& hex : {std::string(kVerify), std::string(kGenerateRsa2048), kSignP256}) {
    CHECK(delay_for(from_hex(hex), kOk, none) == microseconds(0));
  }
}

TEST_CASE("explicit figures replace the profile's, for every algorithm") {
  const DelayProfile yk = profile("yubikey5");
  const DelayProfile o = with_overrides(yk, {.apdu_ms = 7, .keygen_ms = 200, .sign_ms = 30});
  CHECK(o.apdu == milliseconds(7));
  CHECK(delay_for(from_hex(kVerify), kOk, o) == milliseconds(7));
  CHECK(delay_for(from_hex(kGenerateRsa2048), kOk, o) == milliseconds(7 + 200));
  CHECK(delay_for(from_hex(kGenerateP256Policies), kOk, o) == milliseconds(7 + 200));
  CHECK(delay_for(from_hex(kSignP256), kOk, o) == milliseconds(7 + 30));
  CHECK(o.admin == yk.admin);  // not a private-key operation: --sign-delay-ms leaves it
  // Only what is given is replaced; 0 is a figure too.
  const DelayProfile a = with_overrides(yk, {.apdu_ms = 0});
  CHECK(a.apdu == microseconds(0));
  CHECK(a.keygen == yk.keygen);
  CHECK(a.sign == yk.sign);
  // On the none profile, --keygen-delay-ms alone is the old "extra delay for GENERATE".
  const DelayProfile k = with_overrides(profile("none"), {.keygen_ms = 150});
  CHECK(delay_for(from_hex(kGenerateRsa2048), kOk, k) == milliseconds(150));
  CHECK(delay_for(from_hex(kSignP256), kOk, k) == microseconds(0));
}

TEST_CASE("an unknown profile name is a usage error that lists the valid ones") {
  CHECK(profile_names() == std::vector<std::string>{"none", "yubikey5"});
  try {
    profile("bogus");
    FAIL("no error for an unknown profile");
  } catch (const cardctl::Error& e) {
    CHECK(e.kind() == cardctl::ErrorKind::usage);
    const std::string what = e.what();
    CHECK(what.find("'bogus'") != std::string::npos);
    CHECK(what.find("none, yubikey5") != std::string::npos);
  }
}
