// `cardctl readers` with faked PC/SC readers: text and --json output, filtering, and what it refuses.
#include <doctest/doctest.h>

#include <sstream>

#include "cardctl/error.hpp"
#include "helpers.hpp"
#include "readers.hpp"

using namespace cardctl;
using namespace cardctl::cli;
using cli_test::expect_error;

namespace {

struct Fixture {
  std::ostringstream out, err;
  Context ctx;
  Fixture() {
    ctx.out = &out;
    ctx.err = &err;
    ctx.list_readers = [] {
      return std::vector<transport::ReaderInfo>{
          {"Yubico YubiKey OTP+FIDO+CCID 00 00", true, {0x3B, 0xFD, 0x13, 0x00}},
          {"Virtual PCD 00 00", false, {}},
      };
    };
  }
};

}  // namespace

TEST_CASE("readers lists each reader with its card and ATR, names aligned") {
  Fixture f;
  run_readers({}, f.ctx);
  CHECK(f.out.str() ==
        "Yubico YubiKey OTP+FIDO+CCID 00 00  card, ATR 3BFD1300\n"
        "Virtual PCD 00 00                   no card\n");
  CHECK(f.err.str().empty());
}

TEST_CASE("readers --json gives name, card_present and atr (null without a card)") {
  Fixture f;
  f.ctx.json = true;
  run_readers({}, f.ctx);
  CHECK(f.out.str() ==
        "{\n"
        "  \"ok\": true,\n"
        "  \"readers\": [\n"
        "    {\n"
        "      \"name\": \"Yubico YubiKey OTP+FIDO+CCID 00 00\",\n"
        "      \"card_present\": true,\n"
        "      \"atr\": \"3BFD1300\"\n"
        "    },\n"
        "    {\n"
        "      \"name\": \"Virtual PCD 00 00\",\n"
        "      \"card_present\": false,\n"
        "      \"atr\": null\n"
        "    }\n"
        "  ]\n"
        "}\n");
}

TEST_CASE("readers --reader filters by name, and a filter that matches nothing is not found") {
  Fixture f;
  f.ctx.reader = "virtual";
  run_readers({}, f.ctx);
  CHECK(f.out.str() == "Virtual PCD 00 00  no card\n");

  Fixture g;
  g.ctx.reader = "Gemalto";
  Error e = expect_error([&] { run_readers({}, g.ctx); });
  CHECK(e.kind() == ErrorKind::not_found);
  CHECK(g.out.str().empty());
}

TEST_CASE("no readers: nothing on stdout, a note on stderr unless --quiet") {
  Fixture f;
  f.ctx.list_readers = [] { return std::vector<transport::ReaderInfo>{}; };
  run_readers({}, f.ctx);
  CHECK(f.out.str().empty());
  CHECK(f.err.str().find("no PC/SC readers found") != std::string::npos);

  Fixture q;
  q.ctx.quiet = true;
  q.ctx.list_readers = [] { return std::vector<transport::ReaderInfo>{}; };
  run_readers({}, q.ctx);
  CHECK(q.err.str().empty());
}

TEST_CASE("readers refuses a sim: spec and points to status") {
  Fixture f;
  f.ctx.reader = "sim:/tmp/card.sim";
  Error e = expect_error([&] { run_readers({}, f.ctx); });
  CHECK(e.kind() == ErrorKind::usage);
  CHECK(e.hint() == "show the card with: cardctl status --reader sim:/tmp/card.sim");
}

TEST_CASE("a failing PC/SC service keeps its hint and gains context") {
  Fixture f;
  f.ctx.list_readers = []() -> std::vector<transport::ReaderInfo> {
    throw Error(ErrorKind::transport, "the PC/SC service (pcscd) is not running", "start pcscd");
  };
  Error e = expect_error([&] { run_readers({}, f.ctx); });
  CHECK(e.kind() == ErrorKind::transport);
  CHECK(std::string(e.what()) == "listing the PC/SC readers: the PC/SC service (pcscd) is not running");
  CHECK(e.hint() == "start pcscd");
}
