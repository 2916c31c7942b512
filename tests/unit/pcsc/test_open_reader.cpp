// Reader selection through open_reader(), given a fake reader system in place of pcsc-lite.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "cardctl/error.hpp"
#include "cardctl/pcsc.hpp"
#include "cardctl/transport.hpp"

using namespace cardctl;
using namespace cardctl::transport;

namespace {

class NullConnection final : public Connection {
 public:
  explicit NullConnection(std::string reader) : reader_(std::move(reader)) {}
  apdu::Response transmit(ByteView) override { return {}; }
  void begin_transaction() override {}
  void end_transaction(Disposition) override {}
  void disconnect(Disposition) override {}
  const std::string& reader() const override { return reader_; }
  Bytes atr() const override { return {}; }

 private:
  std::string reader_;
};

class FakeReaders final : public ReaderSystem {
 public:
  std::vector<ReaderInfo> readers;
  std::vector<std::string> connected;
  std::vector<ReaderInfo> list_readers() override { return readers; }
  std::unique_ptr<Connection> connect(const std::string& reader, ShareMode) override {
    connected.push_back(reader);
    return std::make_unique<NullConnection>(reader);
  }
};

struct Fixture {
  FakeReaders fake;
  void add(std::string name, bool card) { fake.readers.push_back({std::move(name), card, card ? Bytes{0x3B} : Bytes{}}); }
  std::unique_ptr<Connection> open(std::string_view spec, ShareMode mode) { return open_reader(spec, mode, fake); }
  Error open_error(std::string_view spec) {
    try {
      open(spec, ShareMode::shared);
    } catch (const Error& e) {
      return e;
    }
    FAIL("open_reader succeeded");
    return Error(ErrorKind::internal, "unreachable");
  }
};

}  // namespace

TEST_CASE("no reader at all is not_found") {
  Fixture sys;
  const Error e = sys.open_error("");
  CHECK(e.kind() == ErrorKind::not_found);
  CHECK(std::string(e.what()) == "no smart card reader found");
}

TEST_CASE("readers without a card: not_found listing the readers seen") {
  Fixture sys;
  sys.add("Reader A 00 00", false);
  sys.add("Reader B 00 00", false);
  const Error e = sys.open_error("");
  CHECK(e.kind() == ErrorKind::not_found);
  CHECK(std::string(e.what()) == "no card found in 'Reader A 00 00', 'Reader B 00 00'");
  CHECK(e.hint() == "insert a card or name one with --reader");
  CHECK(sys.fake.connected.empty());
}

TEST_CASE("the one reader with a card is opened") {
  Fixture sys;
  sys.add("Reader A 00 00", false);
  sys.add("Reader B 00 00", true);
  auto c = sys.open("", ShareMode::exclusive);
  CHECK(c->reader() == "Reader B 00 00");
  CHECK(sys.fake.connected == std::vector<std::string>{"Reader B 00 00"});
}

TEST_CASE("several cards: never guess, list them and say how to choose") {
  Fixture sys;
  sys.add("Reader A 00 00", true);
  sys.add("Reader B 00 00", true);
  const Error e = sys.open_error("");
  CHECK(e.kind() == ErrorKind::usage);
  CHECK(std::string(e.what()) == "more than one card: 'Reader A 00 00', 'Reader B 00 00'");
  CHECK(e.hint() == "choose one with --reader NAME or --serial N");
  CHECK(sys.fake.connected.empty());
}

TEST_CASE("--reader picks one of several cards") {
  Fixture sys;
  sys.add("Reader A 00 00", true);
  sys.add("Reader B 00 00", true);
  auto c = sys.open("reader b", ShareMode::shared);
  CHECK(c->reader() == "Reader B 00 00");
}

TEST_CASE("--reader that matches no reader is not_found and lists the readers") {
  Fixture sys;
  sys.add("Reader A 00 00", true);
  const Error e = sys.open_error("Yubico");
  CHECK(e.kind() == ErrorKind::not_found);
  CHECK(std::string(e.what()) == "no reader matches 'Yubico'; readers: 'Reader A 00 00'");
}

TEST_CASE("sim: specs go to the reference card, not to PC/SC") {
  Fixture sys;
  sys.add("Reader A 00 00", true);
  const Error e = sys.open_error("sim:/nonexistent/card.sim");
  CHECK(e.kind() == ErrorKind::not_found);
  CHECK(std::string(e.what()).find("/nonexistent/card.sim") != std::string::npos);
  CHECK(sys.fake.connected.empty());
}
