// Codes read over the phone (docs/architecture.md#codes).
#include <doctest/doctest.h>

#include "cardctl/codes.hpp"
#include "cardctl/error.hpp"

using namespace cardctl;

namespace {
const std::string kCard = "fbcb57e74f24527ec9e1033b2f883714";  // admin-key.toml case 1
const Bytes kChallenge = from_hex("C2580945CEC5638C");           // check 1769

Error parse_error(const std::string& typed, const std::string& card = kCard, std::size_t n = 8,
                  bool no_check = false) {
  try {
    codes::parse(typed, card, n, no_check);
  } catch (const Error& e) {
    return e;
  }
  FAIL("expected an error for " << typed);
  return Error(ErrorKind::internal, "");
}
}  // namespace

TEST_CASE("format groups upper-case hex by four and adds the check") {
  auto f = codes::format(kCard, kChallenge);
  CHECK(f.code == "C258 0945 CEC5 638C");
  CHECK(f.check == "1769");
  CHECK(f.display() == "C258 0945 CEC5 638C  check 1769");
}

TEST_CASE("forgiving input: case, spaces, dashes; no check only when asked") {
  CHECK(codes::parse("c258-0945-cec5-638c-1769", kCard, 8).bytes == kChallenge);
  CHECK(codes::parse("C2580945 CEC5638C 1769", kCard, 8).bytes == kChallenge);
  CHECK(codes::parse("C2580945CEC5638C", kCard, 8, true).bytes == kChallenge);  // Windows unblock screen form
}

TEST_CASE("wrong length names the expected length, with the check") {
  auto e = parse_error("C258 0945 CEC5 638 1769");
  CHECK(e.kind() == ErrorKind::usage);
  CHECK(std::string(e.what()).find("expected 20") != std::string::npos);
  auto aes = parse_error("C258 0945 CEC5 638C 1769", kCard, 16);
  CHECK(std::string(aes.what()).find("expected 36") != std::string::npos);
  auto bare = parse_error("C258 0945 CEC5 638C 1769", kCard, 8, true);  // --no-check, yet a check given
  CHECK(std::string(bare.what()).find("expected 16") != std::string::npos);
}

TEST_CASE("a code with a group dropped is not taken for a code without its check") {
  // TDES: 16 hex digits + check = 20; one group of four lost leaves 16, the length of a check-less code.
  auto tdes = parse_error("C258 CEC5 638C 1769");
  CHECK(tdes.kind() == ErrorKind::usage);
  CHECK(std::string(tdes.what()).find("has 16 hex digits; expected 20") != std::string::npos);
  CHECK(tdes.hint().find("--no-check") != std::string::npos);
  // AES: 32 + 4 = 36; a dropped group leaves 32.
  const std::string aes_code = codes::format(kCard, from_hex("00112233445566778899AABBCCDDEEFF")).display();
  auto aes = parse_error("0011 2233 4455 6677 8899 AABB CCDD " + aes_code.substr(aes_code.size() - 4), kCard, 16);
  CHECK(std::string(aes.what()).find("has 32 hex digits; expected 36") != std::string::npos);
}

TEST_CASE("a single mistyped digit is caught and the fix suggested") {
  auto e = parse_error("C258 0945 CEC5 638B 1769");
  CHECK(std::string(e.what()).find("check does not match") != std::string::npos);
  CHECK(e.hint().find("C258 0945 CEC5 638C  check 1769") != std::string::npos);
  CHECK(e.hint().find("digit 16: B -> C") != std::string::npos);
}

TEST_CASE("an adjacent swap is caught and suggested") {
  auto e = parse_error("C258 0954 CEC5 638C 1769");
  CHECK(e.hint().find("C258 0945 CEC5 638C  check 1769") != std::string::npos);
  CHECK(e.hint().find("digits 7-8 swapped") != std::string::npos);
}

TEST_CASE("a code read for the wrong card fails the check") {
  auto e = parse_error("C258 0945 CEC5 638C 1769", "12345678");
  CHECK(std::string(e.what()).find("another card") != std::string::npos);
  CHECK(std::string(e.what()).find("12345678") != std::string::npos);
}

TEST_CASE("non-hex characters are refused with what to type") {
  auto e = parse_error("C258 0945 CEC5 638G");
  CHECK(std::string(e.what()).find("'G'") != std::string::npos);
}
