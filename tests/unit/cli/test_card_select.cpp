// Card selection by --reader and --serial (docs/architecture.md#card-selection): never guess. The readers are faked;
// each one's card is a reference card file reached through the sim: transport.
#include <doctest/doctest.h>

#include <filesystem>
#include <map>
#include <sstream>

#include "card.hpp"
#include "cardctl/error.hpp"
#include "cardctl/sim_card.hpp"
#include "cardctl/sim_transport.hpp"
#include "helpers.hpp"

using namespace cardctl;
using namespace cardctl::cli;
using cli_test::expect_error;
using cli_test::TempDir;

namespace {

// Readers by name; a reader with a card file holds that card.
struct FakeReaders {
  TempDir dir;
  std::vector<transport::ReaderInfo> readers;
  std::map<std::string, std::string> card_files;
  std::vector<std::string> opened;  // specs passed to the opener, in order
  std::ostringstream out, err;

  void add(const std::string& name, std::optional<std::uint32_t> serial) {
    transport::ReaderInfo info;
    info.name = name;
    info.card_present = serial.has_value();
    if (serial) {
      sim::CardOptions options;
      options.serial = *serial;
      std::string file = (dir.path / (std::to_string(readers.size()) + ".sim")).string();
      sim::ReferenceCard::factory(options).save(file);
      card_files[name] = file;
    }
    readers.push_back(info);
  }

  Context context() {
    Context ctx;
    ctx.out = &out;
    ctx.err = &err;
    ctx.list_readers = [this] { return readers; };
    ctx.open_reader = [this](std::string_view spec, transport::ShareMode mode) {
      opened.emplace_back(spec);
      std::string s(spec);
      if (s.rfind('@', 0) == 0 && card_files.count(s.substr(1))) {
        return transport::connect_sim("sim:" + card_files[s.substr(1)], mode);
      }
      throw Error(ErrorKind::not_found, "no reader " + s);
    };
    return ctx;
  }
};

}  // namespace

TEST_CASE("without --serial the reader spec goes to the opener as given") {
  FakeReaders fake;
  fake.add("Reader A", 111);
  Context ctx = fake.context();
  ctx.reader = "@Reader A";
  auto c = connect_card(ctx, transport::ShareMode::shared);
  CHECK(fake.opened == std::vector<std::string>{"@Reader A"});
}

TEST_CASE("--serial asks every matching reader with a card and opens the one with that serial") {
  FakeReaders fake;
  fake.add("Reader A", 111);
  fake.add("Reader B (empty)", std::nullopt);
  fake.add("Reader C", 222);
  Context ctx = fake.context();
  ctx.serial = 222;
  auto c = connect_card(ctx, transport::ShareMode::exclusive);
  REQUIRE(c != nullptr);
  CHECK(c->reader() == "sim:" + fake.card_files["Reader C"]);
  // Both cards were asked, the empty reader was not, and the chosen one was opened again.
  CHECK(fake.opened == std::vector<std::string>{"@Reader A", "@Reader C", "@Reader C"});
}

TEST_CASE("--serial with --reader only asks the readers that match") {
  FakeReaders fake;
  fake.add("Reader A", 111);
  fake.add("Other C", 222);
  Context ctx = fake.context();
  ctx.reader = "reader";
  ctx.serial = 222;
  Error e = expect_error([&] { connect_card(ctx, transport::ShareMode::shared); });
  CHECK(e.kind() == ErrorKind::not_found);
  CHECK(std::string(e.what()).find("no card with serial 222") != std::string::npos);
  CHECK(std::string(e.what()).find("serial 111") != std::string::npos);
  CHECK(fake.opened == std::vector<std::string>{"@Reader A"});
}

TEST_CASE("two cards with the same serial are an error that lists both, never a guess") {
  FakeReaders fake;
  fake.add("Reader A", 333);
  fake.add("Reader B", 333);
  Context ctx = fake.context();
  ctx.serial = 333;
  Error e = expect_error([&] { connect_card(ctx, transport::ShareMode::shared); });
  CHECK(e.kind() == ErrorKind::usage);
  CHECK(std::string(e.what()) == "more than one card has serial 333: 'Reader A', 'Reader B'");
  CHECK(e.hint() == "choose one with --reader @NAME");
}

TEST_CASE("--serial with no card anywhere says so with a hint") {
  FakeReaders fake;
  fake.add("Reader A", std::nullopt);
  Context ctx = fake.context();
  ctx.serial = 1;
  Error e = expect_error([&] { connect_card(ctx, transport::ShareMode::shared); });
  CHECK(e.kind() == ErrorKind::not_found);
  CHECK(std::string(e.what()) == "no reader holds a card");
  CHECK(!e.hint().empty());
}

TEST_CASE("a missing sim: file is not found, with a hint to create it") {
  FakeReaders fake;
  Context ctx = fake.context();
  ctx.open_reader = [](std::string_view spec, transport::ShareMode mode) { return transport::connect_sim(spec, mode); };
  ctx.reader = "sim:" + (fake.dir.path / "nope.sim").string();
  Error e = expect_error([&] { connect_card(ctx, transport::ShareMode::shared); });
  CHECK(e.kind() == ErrorKind::not_found);
  CHECK(e.hint().find("cardsim create") != std::string::npos);
}
