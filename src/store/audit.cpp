#include "cardctl/audit.hpp"

#include <array>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <optional>
#include <cstring>
#include <ctime>
#include <regex>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "cardctl/crypto.hpp"
#include "cardctl/error.hpp"
#include "cardctl/files.hpp"

namespace cardctl::store {

namespace {
constexpr std::size_t kMacField = 8 + 64 + 2;  // ,"mac":" + 64 hex + "}

struct ParsedLine {
  AuditEntry entry;
  std::string prev;
};

// The members of an entry, in the order audit_canonical writes them.
constexpr std::array<const char*, 7> kTextFields = {"time", "operator", "action", "card", "holder", "outcome", "reason"};

// Parses a whole line (audit_canonical's text, then the MAC, then the closing brace): exactly these members in this order, each of its
// type, so that a value or a detail can never be taken for another field.
std::optional<ParsedLine> parse_line(std::string_view line) {
  auto doc = nlohmann::ordered_json::parse(line, nullptr, false);
  const std::size_t members = kTextFields.size() + 3;  // seq, the text fields, details, prev
  if (doc.is_discarded() || !doc.is_object() || doc.size() != members + 1) return std::nullopt;
  auto it = doc.begin();
  ParsedLine p;
  AuditEntry& e = p.entry;
  if (it.key() != "seq" || !it.value().is_number_unsigned()) return std::nullopt;
  e.seq = it.value().get<std::uint64_t>();
  std::string* targets[] = {&e.time, &e.operator_name, &e.action, &e.card_id, &e.holder_id, &e.outcome, &e.reason};
  for (std::size_t i = 0; i < kTextFields.size(); ++i) {
    ++it;
    if (it.key() != kTextFields[i] || !it.value().is_string()) return std::nullopt;
    *targets[i] = it.value().get<std::string>();
  }
  ++it;
  if (it.key() != "details" || !it.value().is_object()) return std::nullopt;
  for (const auto& [k, v] : it.value().items()) {
    if (!v.is_string()) return std::nullopt;
    e.details.emplace_back(k, v.get<std::string>());
  }
  ++it;
  if (it.key() != "prev" || !it.value().is_string()) return std::nullopt;
  p.prev = it.value().get<std::string>();
  if (++it == doc.end() || it.key() != "mac" || !it.value().is_string()) return std::nullopt;
  return p;
}

std::uint64_t seq_of(std::string_view line) {
  constexpr std::string_view prefix = "{\"seq\":";
  if (line.substr(0, prefix.size()) != prefix) return 0;
  std::uint64_t v = 0;
  for (std::size_t i = prefix.size(); i < line.size() && line[i] >= '0' && line[i] <= '9'; ++i) v = v * 10 + (line[i] - '0');
  return v;
}

std::string hash_of(std::string_view line) { return to_hex(crypto::sha256(view(line))); }

}  // namespace

std::vector<std::string> audit_file_lines(const std::string& path) {
  Bytes data;
  try {
    data = files::read(path);
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::not_found) return {};
    throw;
  }
  std::vector<std::string> out;
  std::string cur;
  for (auto b : data) {
    if (b == '\n') {
      out.push_back(std::move(cur));
      cur.clear();
    } else {
      cur.push_back(static_cast<char>(b));
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));  // an unterminated last line: verify reports it
  return out;
}

namespace {

struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};
}  // namespace

bool is_utf8_text(std::string_view text) {
  try {
    (void)nlohmann::json(text).dump();  // the strict error handler: invalid UTF-8 throws
    return true;
  } catch (const nlohmann::json::type_error&) {
    return false;
  }
}

std::string audit_canonical(const AuditEntry& e, std::uint64_t seq, const std::string& prev) {
  auto text = [](std::string_view field, const std::string& value) -> const std::string& {
    if (!is_utf8_text(value))
      throw Error(ErrorKind::usage, "the " + std::string(field) + " to record is not UTF-8 text",
                  "give names, ids and reasons as UTF-8 text (check the terminal's or the file's encoding)");
    return value;
  };
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  j["seq"] = seq;
  const std::string* values[] = {&e.time, &e.operator_name, &e.action, &e.card_id, &e.holder_id, &e.outcome, &e.reason};
  for (std::size_t i = 0; i < kTextFields.size(); ++i) j[kTextFields[i]] = text(kTextFields[i], *values[i]);
  nlohmann::ordered_json details = nlohmann::ordered_json::object();
  for (const auto& [k, v] : e.details) details[text("detail name", k)] = text(k, v);
  j["details"] = std::move(details);
  j["prev"] = prev;
  // Compact, one line. The object is left open: the line closes it after
  // the MAC, which covers exactly these bytes.
  std::string out = j.dump();
  out.pop_back();
  return out;
}

namespace {

std::string utc_text(std::time_t t, const char* format) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}

}  // namespace

std::string audit_time_bound(std::string_view text, std::chrono::system_clock::time_point now) {
  const std::string given(text);
  const Error bad(ErrorKind::usage, "'" + given + "' is not a time cardctl understands",
                  "give a UTC date or time (2026-11-01, 2026-11-01T10:00, 2026-11-01T10:00:30Z) or a time back from "
                  "now (30m, 24h, 7d, 2w, today, yesterday)");
  const std::time_t now_t = std::chrono::system_clock::to_time_t(now);
  if (given == "today" || given == "yesterday")
    return utc_text(now_t - (given == "yesterday" ? 86400 : 0), "%Y-%m-%d");
  std::smatch m;
  if (std::regex_match(given, m, std::regex(R"((\d{1,6})([mhdw]))"))) {
    const long n = std::stol(m[1].str());
    const long unit = m[2] == "m" ? 60 : m[2] == "h" ? 3600 : m[2] == "d" ? 86400 : 7 * 86400;
    return utc_text(now_t - n * unit, "%Y-%m-%dT%H:%M:%S");
  }
  if (!std::regex_match(given, m, std::regex(R"((\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?Z?)?)")))
    throw bad;
  std::tm tm{};
  tm.tm_year = std::stoi(m[1].str()) - 1900;
  tm.tm_mon = std::stoi(m[2].str()) - 1;
  tm.tm_mday = std::stoi(m[3].str());
  tm.tm_hour = m[4].matched ? std::stoi(m[4].str()) : 0;
  tm.tm_min = m[5].matched ? std::stoi(m[5].str()) : 0;
  tm.tm_sec = m[6].matched ? std::stoi(m[6].str()) : 0;
  std::tm check = tm;
  const std::time_t t = timegm(&check);  // normalises: 2026-02-30 becomes 2026-03-02, and is refused below
  if (t == static_cast<std::time_t>(-1) || check.tm_mday != tm.tm_mday || check.tm_mon != tm.tm_mon ||
      check.tm_hour != tm.tm_hour || check.tm_min != tm.tm_min || check.tm_sec != tm.tm_sec)
    throw bad;
  return utc_text(t, !m[4].matched ? "%Y-%m-%d" : !m[6].matched ? "%Y-%m-%dT%H:%M" : "%Y-%m-%dT%H:%M:%S");
}

std::string audit_line_after(const std::string& last, const AuditEntry& entry, ByteView key) {
  AuditHead head;
  if (!last.empty()) head = audit_head_of(last);
  std::string canonical = audit_canonical(entry, head.seq + 1, head.hash);
  Bytes mac = crypto::hmac_sha256(key, view(canonical));
  return canonical + ",\"mac\":\"" + to_hex(mac) + "\"}";
}

AuditHead audit_head_of(const std::string& line) { return {seq_of(line), hash_of(line)}; }

AuditLog::AuditLog(std::string path, ByteView key) : path_(std::move(path)), key_(key.begin(), key.end()) {}

AuditHead AuditLog::append(const AuditEntry& entry) {
  Fd f{::open(path_.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600)};
  if (f.fd < 0) throw Error(ErrorKind::io, "writing the audit trail " + path_ + ": " + std::strerror(errno));
  if (::flock(f.fd, LOCK_EX) != 0) throw Error(ErrorKind::io, "locking the audit trail " + path_ + ": " + std::strerror(errno));
  struct stat st {};
  ::fstat(f.fd, &st);
  off_t before = st.st_size;
  // The last complete line gives seq and prev (read under the lock).
  auto lines = audit_file_lines(path_);
  std::string line = audit_line_after(lines.empty() ? std::string() : lines.back(), entry, key_);
  std::string record = line + "\n";
  // A last line that lost its newline (an edit, a copy) still ends an entry: the new one starts on its own line.
  char last = '\n';
  if (before > 0 && ::pread(f.fd, &last, 1, before - 1) == 1 && last != '\n') record.insert(record.begin(), '\n');
  // A full disk or a file-size limit must leave no half line behind: cut back and report.
  auto* old_handler = std::signal(SIGXFSZ, SIG_IGN);
  ssize_t n = ::write(f.fd, record.data(), record.size());
  int err = errno;
  bool synced = n == static_cast<ssize_t>(record.size()) && ::fsync(f.fd) == 0;
  if (!synced) err = n < 0 ? err : (n == static_cast<ssize_t>(record.size()) ? errno : ENOSPC);
  std::signal(SIGXFSZ, old_handler);
  if (!synced) {
    if (::ftruncate(f.fd, before) != 0) { /* nothing more we can do; verify will report the line */ }
    throw Error(ErrorKind::io, "writing the audit trail " + path_ + ": " + std::strerror(err),
                "nothing was changed; free some space and run the command again");
  }
  return audit_head_of(line);
}

AuditVerification verify_audit(const std::string& path, ByteView key, const std::optional<AuditHead>& expected) {
  return read_audit(path, key, expected).verification;
}

std::string AuditEntry::detail(std::string_view key) const {
  for (const auto& [k, v] : details)
    if (k == key) return v;
  return "";
}

VerifiedAudit read_audit(const std::string& path, ByteView key, const std::optional<AuditHead>& expected) {
  return read_audit_lines(audit_file_lines(path), key, expected);
}

VerifiedAudit read_audit_lines(const std::vector<std::string>& lines, ByteView key, const std::optional<AuditHead>& expected) {
  VerifiedAudit out;
  AuditVerification& v = out.verification;
  auto bad = [&](std::uint64_t line, const std::string& what) {
    v.ok = false;
    v.bad_line = line;
    v.problem = "line " + std::to_string(line) + ": " + what;
    out.entries.clear();
    return out;
  };
  std::string prev;
  std::vector<std::string> hashes;  // hashes[seq - 1]
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    std::uint64_t n = i + 1;
    if (line.size() < kMacField + 10 || line.compare(line.size() - kMacField, 8, ",\"mac\":\"") != 0 || line.back() != '}')
      return bad(n, "not an audit entry (damaged or truncated)");
    std::string canonical = line.substr(0, line.size() - kMacField);
    Bytes mac;
    try {
      mac = from_hex(std::string_view(line).substr(line.size() - kMacField + 8, 64));
    } catch (const Error&) {
      return bad(n, "the MAC is not hex (entry edited?)");
    }
    if (!crypto::equal_ct(mac, crypto::hmac_sha256(key, view(canonical))))
      return bad(n, "the MAC does not match (entry edited, or written with another key)");
    std::uint64_t seq = seq_of(line);
    if (seq != n) {
      // Entry n further down means lines were swapped, not lost.
      bool later = false;
      for (std::size_t k = i + 1; k < lines.size() && !later; ++k) later = seq_of(lines[k]) == n;
      return bad(n, "expected entry " + std::to_string(n) + ", found entry " + std::to_string(seq) +
                        (seq < n ? " (entries reordered or duplicated)" : later ? " (entries reordered)" : " (entries deleted)"));
    }
    auto parsed = parse_line(line);
    if (!parsed) return bad(n, "not an audit entry (damaged)");
    if (parsed->prev != prev) return bad(n, "the chain is broken (an earlier entry was replaced)");
    prev = hash_of(line);
    hashes.push_back(prev);
    out.entries.push_back(std::move(parsed->entry));
    v.head = {seq, prev};
    ++v.entries;
  }
  // The inventory's head may lag behind the trail (an append whose inventory update then failed), never lead it.
  if (expected && expected->seq > 0) {
    if (v.head.seq < expected->seq) {
      v.ok = false;
      v.bad_line = v.entries + 1;
      v.problem = "the trail ends at entry " + std::to_string(v.head.seq) + " but the inventory recorded entry " +
                  std::to_string(expected->seq) + " (entries deleted from the end)";
    } else if (hashes[expected->seq - 1] != expected->hash) {
      v.ok = false;
      v.bad_line = expected->seq;
      v.problem = "line " + std::to_string(expected->seq) + ": differs from the entry the inventory recorded";
    }
  }
  if (!v.ok) out.entries.clear();
  return out;
}

std::vector<AuditEntry> query_audit(const std::string& path, const AuditFilter& f) {
  return query_audit_lines(audit_file_lines(path), f);
}

std::vector<AuditEntry> query_audit_lines(const std::vector<std::string>& lines, const AuditFilter& f) {
  std::vector<AuditEntry> out;
  for (const auto& line : lines) {
    auto parsed = parse_line(line);
    if (!parsed) continue;  // a damaged line: audit verify reports it
    AuditEntry e = std::move(parsed->entry);
    if (!f.since.empty() && e.time < f.since) continue;
    if (!f.until.empty() && e.time.compare(0, f.until.size(), f.until) > 0) continue;
    if (!f.card_id.empty() && e.card_id != f.card_id) continue;
    if (!f.action.empty() && e.action != f.action) continue;
    if (!f.operator_name.empty() && e.operator_name != f.operator_name) continue;
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace cardctl::store
