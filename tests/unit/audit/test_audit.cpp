#include <doctest/doctest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "cardctl/audit.hpp"
#include "cardctl/crypto.hpp"
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
  CHECK(v.problem.find("(entries reordered)") != std::string::npos);  // swapped, not deleted

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

TEST_CASE("a trail written before JSON went through nlohmann still verifies and reads, escapes included") {
  TempDir d;
  std::string path = d.path + "/audit";
  // The hand-written writer's line for this entry: \u escapes for control characters, raw UTF-8 otherwise.
  std::string canonical =
      "{\"seq\":1,\"time\":\"2026-11-01T10:00:00Z\",\"operator\":\"Jos\xC3\xA9\",\"action\":\"respond\","
      "\"card\":\"c1\",\"holder\":\"h\",\"outcome\":\"ok\",\"reason\":\"bell\\u0007 tab\\t\","
      "\"details\":{\"k\":\"v\"},\"prev\":\"\"";
  std::string line = canonical + ",\"mac\":\"" + to_hex(crypto::hmac_sha256(kKey, view(canonical))) + "\"}";
  write_lines(path, {line});
  auto trail = store::read_audit(path, kKey, std::nullopt);
  REQUIRE(trail.verification.ok);
  REQUIRE(trail.entries.size() == 1);
  CHECK(trail.entries[0].operator_name == "Jos\xC3\xA9");
  CHECK(trail.entries[0].reason == "bell\a tab\t");
  CHECK(trail.entries[0].detail("k") == "v");
  // And an entry appended now continues that chain.
  AuditLog(path, kKey).append({"2026-11-02T10:00:00Z", "op", "respond", "c1", "h", "ok", "", {}});
  CHECK(store::verify_audit(path, kKey, std::nullopt).ok);
  CHECK(store::query_audit(path, {}).size() == 2);
}

TEST_CASE("--since and --until: dates, times and times back from now; anything else is refused") {
  using store::audit_time_bound;
  auto now = std::chrono::system_clock::from_time_t(1793354400);  // 2026-10-30T10:00:00Z
  CHECK(audit_time_bound("2026-11-01", now) == "2026-11-01");
  CHECK(audit_time_bound("2026-11-01T10:05", now) == "2026-11-01T10:05");
  CHECK(audit_time_bound("2026-11-01 10:05:09Z", now) == "2026-11-01T10:05:09");
  CHECK(audit_time_bound("2h", now) == "2026-10-30T08:00:00");
  CHECK(audit_time_bound("7d", now) == "2026-10-23T10:00:00");
  CHECK(audit_time_bound("1w", now) == "2026-10-23T10:00:00");
  CHECK(audit_time_bound("30m", now) == "2026-10-30T09:30:00");
  CHECK(audit_time_bound("today", now) == "2026-10-30");
  CHECK(audit_time_bound("yesterday", now) == "2026-10-29");
  for (const char* bad : {"", "last week", "2026-13-01", "2026-02-30", "2026-11-01T25:00", "11/01/2026", "7 days", "-3d"}) {
    CAPTURE(bad);
    try {
      audit_time_bound(bad, now);
      FAIL("accepted");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::usage);
      CHECK_FALSE(e.hint().empty());
    }
  }
}

TEST_CASE("found by fuzz_audit: a field that is not UTF-8 is refused, never recorded changed") {
  TempDir d;
  const std::string path = d.path + "/audit.log";
  AuditLog log(path, kKey);
  auto head = log.append({"2026-11-01T00:00:00Z", "op", "identify", "", "h\xc3\xa9", "failed", "", {}});
  // A holder id with a stray byte would come back as another id (U+FFFD), and not be counted against its holder.
  CHECK_THROWS_WITH_AS(log.append({"2026-11-01T00:00:01Z", "op", "identify", "", "h\x87", "failed", "", {}}),
                       doctest::Contains("holder to record is not UTF-8"), Error);
  CHECK_THROWS_AS(log.append({"2026-11-01T00:00:01Z", "op", "identify", "", "h", "failed", "", {{"q", "\xff"}}}), Error);
  CHECK(store::is_utf8_text("h\xc3\xa9"));
  CHECK_FALSE(store::is_utf8_text("h\x87"));
  auto v = store::read_audit(path, kKey, head);
  REQUIRE(v.verification.ok);
  REQUIRE(v.entries.size() == 1);
  CHECK(v.entries[0].holder_id == "h\xc3\xa9");
}
