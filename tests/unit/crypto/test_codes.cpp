// DESIGN.md §5: codes read over the phone.
#include <doctest/doctest.h>

#include "cardctl/codes.hpp"
#include "cardctl/error.hpp"

using namespace cardctl;

namespace {
const std::string kCard = "fbcb57e74f24527ec9e1033b2f883714";  // admin-key.toml case 1
const Bytes kChallenge = from_hex("C2580945CEC5638C");           // check 1769

Error parse_error(const std::string& typed, const std::string& card = kCard) {
  try {
    codes::parse(typed, card, 8);
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

TEST_CASE("forgiving input: case, spaces, dashes, check optional") {
  CHECK(codes::parse("c258-0945-cec5-638c", kCard, 8).bytes == kChallenge);
  auto p = codes::parse("C2580945 CEC5638C 1769", kCard, 8);
  CHECK(p.bytes == kChallenge);
  CHECK(p.check_given);
  CHECK_FALSE(codes::parse("C2580945CEC5638C", kCard, 8).check_given);  // Windows unblock screen form
}

TEST_CASE("wrong length names the expected length") {
  auto e = parse_error("C258 0945 CEC5 638");
  CHECK(e.kind() == ErrorKind::usage);
  CHECK(std::string(e.what()).find("expected 16") != std::string::npos);
  auto aes = Error(ErrorKind::internal, "");
  try {
    codes::parse("C258 0945 CEC5 638C", kCard, 16);
  } catch (const Error& x) {
    aes = x;
  }
  CHECK(std::string(aes.what()).find("expected 32") != std::string::npos);
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
