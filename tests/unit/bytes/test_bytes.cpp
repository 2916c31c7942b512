#include <doctest/doctest.h>

#include <new>
#include <string_view>
#include <string>
#include <type_traits>

#include "cardctl/bytes.hpp"
#include "cardctl/error.hpp"
#include "cardctl/secret.hpp"

using namespace cardctl;

TEST_CASE("hex round trip and tolerant parsing") {
  Bytes b{0x00, 0x1D, 0xE9, 0xFF};
  CHECK(to_hex(b) == "001de9ff");
  CHECK(to_hex_upper(b) == "001DE9FF");
  CHECK(from_hex("00 1d-E9:ff") == b);
  CHECK_THROWS_AS(from_hex("0g"), Error);
  CHECK_THROWS_AS(from_hex("abc"), Error);
}

TEST_CASE("secure wipe clears memory") {
  std::uint8_t buf[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  secure_wipe(buf, sizeof buf);
  for (auto v : buf) CHECK(v == 0);
}

TEST_CASE("secrets are distinct move-only types") {
  static_assert(!std::is_copy_constructible_v<Pin>);
  static_assert(!std::is_convertible_v<Pin, Puk>);
  static_assert(!std::is_constructible_v<Puk, Pin&&>);
  Pin pin = Pin::from_text("123456");
  CHECK(pin.text() == "123456");
  Pin moved = std::move(pin);
  CHECK(moved.size() == 6);
}

TEST_CASE("errors gain context and keep their kind, status word and tries left") {
  Error e = Error(ErrorKind::wrong_pin, "wrong PIN").with_retries(2).with_sw(0x63C2);
  Error c = e.context("verifying the PIN");
  CHECK(std::string(c.what()) == "verifying the PIN: wrong PIN");
  CHECK(c.retries() == 2);
  CHECK(c.status_word() == 0x63C2);
  CHECK(c.kind() == ErrorKind::wrong_pin);
  CHECK_THROWS_WITH(with_context("outer", [] { throw Error(ErrorKind::io, "inner"); }), "outer: inner");
}

#include <sys/stat.h>
#include <unistd.h>

#include "cardctl/files.hpp"

TEST_CASE("atomic write replaces the file, keeps the mode and leaves no temp file") {
  char dir[] = "/tmp/cardctl-files-XXXXXX";
  REQUIRE(mkdtemp(dir) != nullptr);
  std::string path = std::string(dir) + "/state";
  files::write_atomic(path, to_bytes("one"));
  files::write_atomic(path, to_bytes("two"));
  CHECK(files::read(path) == to_bytes("two"));
  struct stat st {};
  REQUIRE(stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(rmdir(dir) != 0);  // only "state" is left in it
  CHECK(unlink(path.c_str()) == 0);
  CHECK(rmdir(dir) == 0);
}

TEST_CASE("a staged file: in place only when committed; removed when dropped") {
  char dir[] = "/tmp/cardctl-files-XXXXXX";
  REQUIRE(mkdtemp(dir) != nullptr);
  std::string path = std::string(dir) + "/policy.toml";
  files::write_atomic(path, to_bytes("old"));
  {
    files::StagedFile staged(path, to_bytes("dropped"));
    CHECK(files::read(path) == to_bytes("old"));
  }
  CHECK(files::read(path) == to_bytes("old"));
  {
    files::StagedFile staged(path, to_bytes("new"), 0600);
    CHECK(files::read(path) == to_bytes("old"));  // written beside it, not yet in place
    staged.commit();
    CHECK(files::read(path) == to_bytes("new"));
  }
  CHECK(files::read(path) == to_bytes("new"));
  struct stat st {};
  REQUIRE(stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(unlink(path.c_str()) == 0);
  CHECK(rmdir(dir) == 0);  // no temp file left behind
  CHECK_THROWS_AS(files::StagedFile("/nonexistent-dir/x", to_bytes("x")), Error);
}

TEST_CASE("reading: missing file is not_found, secret files must be private") {
  try {
    files::read("/nonexistent/cardctl");
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::not_found);
  }
  char path[] = "/tmp/cardctl-secret-XXXXXX";
  int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  REQUIRE(write(fd, "123456", 6) == 6);
  close(fd);
  chmod(path, 0644);
  CHECK_THROWS_AS(files::read_secret(path), Error);
  chmod(path, 0600);
  CHECK(files::read_secret(path).size() == 6);
  unlink(path);
}

TEST_CASE("writing into a missing directory is an io error naming the path") {
  try {
    files::write_atomic("/nonexistent-dir/x", to_bytes("x"));
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::io);
    CHECK(std::string(e.what()).find("/nonexistent-dir/x") != std::string::npos);
  }
}

TEST_CASE("secure_from_hex parses as from_hex does, into a self-wiping buffer") {
  static_assert(std::is_same_v<decltype(secure_from_hex("")), SecureBytes>);
  const SecureBytes key = secure_from_hex("00 1d-E9:ff\n");
  CHECK(to_hex(key) == "001de9ff");
  CHECK(secure_from_hex("").empty());
  CHECK_THROWS_AS(secure_from_hex("0g"), Error);
  CHECK_THROWS_AS(secure_from_hex("abc"), Error);
  const std::string sixty_four(64, 'a');
  CHECK(secure_from_hex(sixty_four).size() == 32);
}

TEST_CASE("a SecureString leaves nothing of its secret in the object, short or grown") {
  auto contains = [](const unsigned char* p, std::size_t n, std::string_view needle) {
    return std::string_view(reinterpret_cast<const char*>(p), n).find(needle) != std::string_view::npos;
  };
  alignas(SecureString) unsigned char storage[sizeof(SecureString)];
  {
    auto* s = new (storage) SecureString("482917");  // short: kept in the object, never allocated
    CHECK(contains(storage, sizeof storage, "482917"));
    s->~SecureString();
    CHECK_FALSE(contains(storage, sizeof storage, "4829"));
  }
  {
    auto* s = new (storage) SecureString("secret!");
    s->append(40, 'x');  // grows onto the heap; the first characters were in the object
    s->~SecureString();
    CHECK_FALSE(contains(storage, sizeof storage, "cret"));
  }
  SecureString id = SecureString("q1: answer").substr(0, 2);
  CHECK(id == "q1");
}
