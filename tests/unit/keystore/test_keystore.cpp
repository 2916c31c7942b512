#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cardctl/error.hpp"
#include "cardctl/files.hpp"
#include "cardctl/keystore.hpp"

using namespace cardctl;
using store::Keystore;

namespace {
struct TempDir {
  std::string path;
  TempDir() {
    char t[] = "/tmp/cardctl-ks-XXXXXX";
    path = mkdtemp(t);
  }
  ~TempDir() { std::system(("rm -rf " + path).c_str()); }
};
const store::KeystoreOptions kFast{false, {1024, 8, 1}, std::nullopt, 1};
Passphrase pass(const char* p = "correct horse battery") { return Passphrase::from_text(p); }

ErrorKind kind_of_open(const std::string& path, const char* p = "correct horse battery") {
  try {
    Keystore::open(path, pass(p));
  } catch (const Error& e) {
    return e.kind();
  }
  return ErrorKind::internal;
}
}  // namespace

TEST_CASE("create, open, rotate, import, fixed keys: all survive a round trip") {
  TempDir d;
  std::string path = d.path + "/keystore";
  auto ks = Keystore::create(path, pass(), kFast);
  Bytes m1(ks.master(1).bytes().begin(), ks.master(1).bytes().end());
  CHECK(ks.current_version() == 1);
  CHECK(ks.rotate() == 2);
  Bytes imported(32, 0x5A);
  CHECK(ks.import_master(imported, 7, false) == 7);
  CHECK_THROWS_AS(ks.import_master(imported, 7, false), Error);
  ks.add_fixed_key("legacy", crypto::AdminAlgorithm::aes192, Bytes(24, 0x11));
  ks.save();

  auto again = Keystore::open(path, pass());
  CHECK(again.current_version() == 2);
  CHECK(again.versions() == std::vector<std::uint32_t>{1, 2, 7});
  CHECK(Bytes(again.master(1).bytes().begin(), again.master(1).bytes().end()) == m1);
  CHECK(Bytes(again.master(7).bytes().begin(), again.master(7).bytes().end()) == imported);
  CHECK(again.fixed_key("legacy").algorithm == crypto::AdminAlgorithm::aes192);
  CHECK(Bytes(again.escrow_key().begin(), again.escrow_key().end()) ==
        Bytes(ks.escrow_key().begin(), ks.escrow_key().end()));
  CHECK_THROWS_AS(again.master(3), Error);

  struct stat st {};
  REQUIRE(stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
}

TEST_CASE("an existing keystore is never overwritten without asking") {
  TempDir d;
  std::string path = d.path + "/keystore";
  Keystore::create(path, pass(), kFast);
  Bytes before = files::read(path);
  CHECK_THROWS_AS(Keystore::create(path, pass(), kFast), Error);
  CHECK(files::read(path) == before);
}

TEST_CASE("wrong passphrase, truncation and edits are clear errors") {
  TempDir d;
  std::string path = d.path + "/keystore";
  Keystore::create(path, pass(), kFast);
  Bytes good = files::read(path);
  CHECK(kind_of_open(path, "wrong passphrase!") == ErrorKind::crypto);

  files::write_atomic(path, ByteView(good).first(good.size() - 5));
  CHECK(kind_of_open(path) == ErrorKind::crypto);
  files::write_atomic(path, ByteView(good).first(20));
  CHECK(kind_of_open(path) == ErrorKind::io);
  for (std::size_t at : {std::size_t{3}, std::size_t{20}, std::size_t{40}, good.size() - 1}) {
    CAPTURE(at);
    Bytes edited = good;
    edited[at] ^= 0x01;
    files::write_atomic(path, edited);
    ErrorKind k = kind_of_open(path);
    CHECK((k == ErrorKind::crypto || k == ErrorKind::io));
  }
  CHECK(kind_of_open(d.path + "/missing") == ErrorKind::not_found);
}

TEST_CASE("a short passphrase is refused") {
  TempDir d;
  CHECK_THROWS_AS(Keystore::create(d.path + "/k", Passphrase::from_text("short"), kFast), Error);
}
