#include <doctest/doctest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "cardctl/audit.hpp"
#include "cardctl/error.hpp"
#include "cardctl/files.hpp"

using namespace cardctl;
using store::AuditLog;

namespace {
struct TempDir {
  std::string path;
  TempDir() {
    char t[] = "/tmp/cardctl-audit-XXXXXX";
    path = mkdtemp(t);
  }
  ~TempDir() { std::system(("rm -rf " + path).c_str()); }
};
const Bytes kKey(32, 0x42);

std::vector<std::string> read_lines(const std::string& p) {
  std::ifstream in(p);
  std::vector<std::string> out;
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}
void write_lines(const std::string& p, const std::vector<std::string>& lines) {
  std::string all;
  for (const auto& l : lines) all += l + "\n";
  files::write_atomic(p, view(all));
}
store::AuditHead fill(const std::string& path, int n) {
  AuditLog log(path, kKey);
  store::AuditHead head;
  for (int i = 0; i < n; ++i)
    head = log.append({"2026-11-22T10:00:0" + std::to_string(i) + "Z", "op", "respond", "card" + std::to_string(i), "",
                       "ok", "", {{"quote", "a \"b\"\n"}}});
  return head;
}
}  // namespace

TEST_CASE("appended entries verify, with the head") {
  TempDir d;
  std::string path = d.path + "/audit";
  auto head = fill(path, 5);
  CHECK(head.seq == 5);
  auto v = store::verify_audit(path, kKey, head);
  CHECK(v.ok);
  CHECK(v.entries == 5);
  CHECK(store::query_audit(path, {"", "", "card3", "", ""}).size() == 1);
  CHECK(store::query_audit(path, {"", "", "", "respond", "op"}).size() == 5);
  CHECK(store::query_audit(path, {"", "", "", "respond", ""})[0].operator_name == "op");
}

TEST_CASE("verify finds an edited byte, a deleted entry, a swap and a cut tail") {
  TempDir d;
  std::string path = d.path + "/audit";
  auto head = fill(path, 5);
  auto lines = read_lines(path);

  auto edited = lines;
  edited[2][30] = edited[2][30] == 'x' ? 'y' : 'x';
  write_lines(path, edited);
  auto v = store::verify_audit(path, kKey, head);
  CHECK_FALSE(v.ok);
  CHECK(v.bad_line == 3);

  auto deleted = lines;
  deleted.erase(deleted.begin() + 1);
  write_lines(path, deleted);
  v = store::verify_audit(path, kKey, head);
  CHECK_FALSE(v.ok);
  CHECK(v.bad_line == 2);
  CHECK(v.problem.find("deleted") != std::string::npos);

  auto swapped = lines;
  std::swap(swapped[1], swapped[3]);
  write_lines(path, swapped);
  v = store::verify_audit(path, kKey, head);
  CHECK_FALSE(v.ok);
  CHECK(v.bad_line == 2);

  auto cut = lines;
  cut.pop_back();
  write_lines(path, cut);
  CHECK(store::verify_audit(path, kKey, std::nullopt).ok);  // without the head a cut tail looks whole
  v = store::verify_audit(path, kKey, head);
  CHECK_FALSE(v.ok);
  CHECK(v.problem.find("deleted from the end") != std::string::npos);

  write_lines(path, lines);
  CHECK_FALSE(store::verify_audit(path, Bytes(32, 0x43), head).ok);  // another key
}

TEST_CASE("a write that does not fit leaves no half line and says so") {
  TempDir d;
  std::string path = d.path + "/audit";
  fill(path, 2);
  auto before = files::read(path);
  struct rlimit old {};
  getrlimit(RLIMIT_FSIZE, &old);
  struct rlimit lim = old;
  lim.rlim_cur = before.size() + 40;  // the next entry is longer than 40 bytes
  REQUIRE(setrlimit(RLIMIT_FSIZE, &lim) == 0);
  AuditLog log(path, kKey);
  try {
    log.append({"2026-11-22T11:00:00Z", "op", "issue", "c", "", "ok", "", {}});
    setrlimit(RLIMIT_FSIZE, &old);
    FAIL("expected an error");
  } catch (const Error& e) {
    setrlimit(RLIMIT_FSIZE, &old);
    CHECK(e.kind() == ErrorKind::io);
    CHECK(std::string(e.what()).find(path) != std::string::npos);
  }
  CHECK(files::read(path) == before);
  CHECK(store::verify_audit(path, kKey, std::nullopt).ok);
}

TEST_CASE("found by fuzz_audit: a detail named like a field, control characters, a last line without newline") {
  char t[] = "/tmp/cardctl-audit-XXXXXX";
  std::string dir = mkdtemp(t);
  std::string path = dir + "/audit.log";
  const Bytes key(32, 0x41);
  store::AuditLog log(path, key);
  log.append({"2026-11-01T00:00:00Z", "op", "respond", "c1", "h", "ok", "bell\x07 and \"quotes\"",
              {{"prev", "not the chain"}, {"seq", "9"}, {"reason", "x"}}});
  auto head = log.append({"2026-11-01T00:00:01Z", "op", "respond", "c1", "h", "ok", "", {}});
  auto v = store::read_audit(path, key, head);
  REQUIRE(v.verification.ok);
  REQUIRE(v.entries.size() == 2);
  CHECK(v.entries[0].reason == "bell\x07 and \"quotes\"");
  CHECK(v.entries[0].detail("prev") == "not the chain");
  CHECK(v.entries[0].seq == 1);
  CHECK(store::query_audit(path, {})[0].reason == "bell\x07 and \"quotes\"");
  // The last newline removed: the next entry still starts on a line of its own.
  std::system(("truncate -s -1 " + path).c_str());
  head = log.append({"2026-11-01T00:00:02Z", "op", "init", "", "", "ok", "", {}});
  auto after = store::read_audit(path, key, head);
  CHECK(after.verification.ok);
  CHECK(after.entries.size() == 3);
  std::system(("rm -rf " + dir).c_str());
}
