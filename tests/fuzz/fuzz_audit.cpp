// The audit trail reader (include/cardctl/audit.hpp, cardctl-audit(1)). Byte 0 chooses what the rest is:
//   even: a trail file. verify_audit() either accepts every line (entries = lines, head = the last entry; then
//     query_audit() lists every entry, and one more append() verifies against its new head) or names the first
//     bad line ("line N: ...", entries = N - 1). query_audit() with a filter returns only matching entries.
//   odd: the fields of an entry, separated by 00 bytes (time, operator, action, card, holder, outcome, reason,
//     then detail key/value pairs). Appended twice to a fresh trail, it verifies against the head append()
//     returned, and query_audit() gives back exactly the fields written.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "cardctl/audit.hpp"
#include "cardctl/error.hpp"
#include "cardctl/files.hpp"
#include "fuzz_util.hpp"

namespace {
using namespace cardctl;
using fuzz::fail;
using store::AuditEntry;

const Bytes kKey(32, 0xA7);

std::size_t count_lines(ByteView file) {
  std::size_t n = 0;
  for (auto b : file) n += b == '\n';
  return n + (!file.empty() && file.back() != '\n');
}

bool same_fields(const AuditEntry& a, const AuditEntry& b) {
  return a.time == b.time && a.operator_name == b.operator_name && a.action == b.action && a.card_id == b.card_id &&
         a.holder_id == b.holder_id && a.outcome == b.outcome && a.reason == b.reason;
}

void trail_file(ByteView file, const std::string& path) {
  files::write_atomic(path, file, 0600);
  const std::size_t lines = count_lines(file);
  const auto v = store::verify_audit(path, kKey, std::nullopt);
  if (!v.ok) {
    if (v.bad_line < 1 || v.bad_line > lines || v.entries != v.bad_line - 1 ||
        !v.problem.starts_with("line " + std::to_string(v.bad_line) + ": "))
      fail("verify: the first bad line is not reported as such");
  } else {
    if (v.entries != lines || v.head.seq != lines) fail("verify: accepted, but not every line counted");
    if (store::query_audit(path, {}).size() != lines) fail("query: not every verified entry listed");
    const auto head = store::AuditLog(path, kKey).append({.time = "2026-01-01T00:00:00Z", .action = "fuzz"});
    const auto again = store::verify_audit(path, kKey, head);
    if (!again.ok || again.entries != lines + 1) fail("verify: a trail that verified does not after an append");
  }
  // A filter taken from the first entry's own fields.
  const auto all = store::query_audit(path, {});
  if (all.empty()) return;
  const store::AuditFilter f{.since = all[0].time.substr(0, 4), .card_id = all[0].card_id, .action = all[0].action};
  for (const auto& e : store::query_audit(path, f))
    if ((!f.card_id.empty() && e.card_id != f.card_id) || (!f.action.empty() && e.action != f.action) ||
        (!f.since.empty() && e.time < f.since))
      fail("query: an entry that does not match the filter");
}

void entry_round_trip(ByteView input, const std::string& path) {
  std::vector<std::string> parts(1);
  for (auto b : input) {
    if (b == 0) parts.emplace_back();
    else parts.back().push_back(static_cast<char>(b));
  }
  parts.resize(std::max<std::size_t>(parts.size(), 7));
  AuditEntry e{parts[0], parts[1], parts[2], parts[3], parts[4], parts[5], parts[6], {}};
  for (std::size_t i = 7; i + 1 < parts.size(); i += 2) e.details.emplace_back(parts[i], parts[i + 1]);
  std::remove(path.c_str());
  store::AuditLog log(path, kKey);
  bool text = true;
  for (const std::string* f : {&e.time, &e.operator_name, &e.action, &e.card_id, &e.holder_id, &e.outcome, &e.reason})
    text = text && store::is_utf8_text(*f);
  for (const auto& [k, v] : e.details) text = text && store::is_utf8_text(k) && store::is_utf8_text(v);
  if (!text) {  // refused, nothing written: a field that came back changed would count against someone else
    try {
      log.append(e);
    } catch (const Error& err) {
      if (err.kind() != ErrorKind::usage) fail("append: a field that is not UTF-8 is not Error(usage)");
      if (files::exists(path) && !files::read(path).empty())
        fail("append: a refused entry left something in the trail");
      return;
    }
    fail("append: a field that is not UTF-8 was recorded");
  }
  log.append(e);
  const auto head = log.append(e);
  const auto v = store::verify_audit(path, kKey, head);
  if (!v.ok || v.entries != 2) fail("verify: a trail just written does not verify");
  const auto back = store::query_audit(path, {});
  if (back.size() != 2 || !same_fields(back[0], e) || !same_fields(back[1], e)) fail("query: fields do not round-trip");
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string path = fuzz::scratch_path("audit.jsonl");
  if (size == 0) return 0;
  try {
    if (data[0] & 1) entry_round_trip(ByteView(data + 1, size - 1), path);
    else trail_file(ByteView(data + 1, size - 1), path);
  } catch (const Error&) {
    fail("the audit trail threw for a readable file");
  }
  return 0;
}
