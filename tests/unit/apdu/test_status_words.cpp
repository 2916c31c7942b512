// The one status-word decoder (docs/architecture.md#errors), tested with a table: every mapping, its kind, status word,
// tries left, and the words a user reads.
#include <doctest/doctest.h>

#include <string>

#include "cardctl/apdu.hpp"

using namespace cardctl;
using namespace cardctl::apdu;

namespace {
struct Row {
  std::uint16_t sw;
  ErrorKind kind;
  const char* message;  // after "reading the CHUID: "
  const char* described;
};

const Row kRows[] = {
    {0x6983, ErrorKind::blocked, "blocked (no tries left)", "6983 (authentication method blocked)"},
    {0x6982, ErrorKind::security_status, "security status not satisfied (PIN or admin key needed)",
     "6982 (security status not satisfied)"},
    {0x6985, ErrorKind::wrong_data, "the card refused: conditions of use not satisfied",
     "6985 (conditions of use not satisfied)"},
    {0x6A82, ErrorKind::not_found, "not found (no such application or object on the card)",
     "6A82 (file or application not found)"},
    {0x6A88, ErrorKind::not_found, "not found (no such key or reference on the card)",
     "6A88 (referenced data not found)"},
    {0x6A80, ErrorKind::wrong_data, "the card refused the data (incorrect data field)",
     "6A80 (incorrect parameters in the data field)"},
    {0x6700, ErrorKind::wrong_data, "the card refused the command (wrong length)", "6700 (wrong length)"},
    {0x6A86, ErrorKind::wrong_data, "the card refused the command (incorrect parameters P1-P2)",
     "6A86 (incorrect parameters P1-P2)"},
    {0x6B00, ErrorKind::wrong_data, "the card refused the command (wrong parameters P1-P2)",
     "6B00 (wrong parameters P1-P2)"},
    {0x6A84, ErrorKind::wrong_data, "not enough memory on the card", "6A84 (not enough memory space)"},
    {0x6A81, ErrorKind::unsupported, "this card does not support it", "6A81 (function not supported)"},
    {0x6D00, ErrorKind::unsupported, "this card does not support the command", "6D00 (instruction not supported)"},
    {0x6E00, ErrorKind::unsupported, "this card does not support the command class", "6E00 (class not supported)"},
    {0x6884, ErrorKind::unsupported, "this card does not support command chaining",
     "6884 (command chaining not supported)"},
    {0x6883, ErrorKind::protocol, "the card expected the last command of a chain",
     "6883 (last command of the chain expected)"},
    {0x6F00, ErrorKind::protocol, "the card failed without saying why", "6F00 (no precise diagnosis)"},
    {0x6300, ErrorKind::wrong_pin, "the card refused: verification failed", "6300 (verification failed)"},
    {0x6999, ErrorKind::protocol, "the card answered with status 6999, which cardctl does not know",
     "6999 (unknown status)"},
    {0x6C10, ErrorKind::protocol, "the card answered with status 6C10, which cardctl does not know",
     "6C10 (wrong Le, 16 bytes available)"},
};
}  // namespace

TEST_CASE("every status word maps to its kind and message, with the status word kept") {
  for (const auto& row : kRows) {
    CAPTURE(describe_sw(row.sw));
    Error e = error_for_sw(row.sw, "reading the CHUID");
    CHECK(e.kind() == row.kind);
    CHECK(e.status_word() == row.sw);
    CHECK(std::string(e.what()) == std::string("reading the CHUID: ") + row.message);
    CHECK(describe_sw(row.sw) == row.described);
    // Only a PIN/PUK counter, or a blocked reference, tells tries left.
    if (row.sw == 0x6983)
      CHECK(e.retries() == 0);
    else
      CHECK_FALSE(e.retries().has_value());
  }
}

TEST_CASE("63Cx is a wrong PIN/PUK with x tries left") {
  for (int x = 0; x <= 15; ++x) {
    CAPTURE(x);
    const auto value = static_cast<std::uint16_t>(0x63C0 | x);
    Error e = error_for_sw(value, "verifying the PIN");
    CHECK(e.kind() == ErrorKind::wrong_pin);
    CHECK(e.retries() == x);
    CHECK(e.status_word() == value);
  }
  CHECK(std::string(error_for_sw(0x63C2, "verifying the PIN").what()) ==
        "verifying the PIN: the card refused: wrong PIN/PUK (2 tries left)");
  CHECK(std::string(error_for_sw(0x63C1, "verifying the PIN").what()) ==
        "verifying the PIN: the card refused: wrong PIN/PUK (1 try left)");
  CHECK(std::string(error_for_sw(0x63C0, "verifying the PIN").what()) ==
        "verifying the PIN: the card refused: wrong PIN/PUK (no tries left)");
  CHECK(describe_sw(0x63C2) == "63C2 (verification failed, 2 tries left)");
  CHECK(describe_sw(0x63C1) == "63C1 (verification failed, 1 try left)");
}

TEST_CASE("describe_sw names success and the framing status words") {
  CHECK(describe_sw(0x9000) == "9000 (success)");
  CHECK(describe_sw(0x6110) == "6110 (16 response bytes remain)");
  CHECK(describe_sw(0x6100) == "6100 (256 or more response bytes remain)");
}

TEST_CASE("check throws the decoder's error for anything but 9000") {
  CHECK_NOTHROW(check({{0x01}, 0x9000}, "reading the CHUID"));
  try {
    check({{}, 0x6982}, "writing the CHUID");
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::security_status);
    CHECK(e.status_word() == 0x6982);
    CHECK(std::string(e.what()).rfind("writing the CHUID: ", 0) == 0);
  }
}
