#include "cardctl/audit.hpp"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <optional>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cardctl/crypto.hpp"
#include "cardctl/error.hpp"
#include "cardctl/files.hpp"

namespace cardctl::store {

namespace {
constexpr std::size_t kMacField = 8 + 64 + 2;  // ,"mac":" + 64 hex + "}

void json_string(std::string& out, std::string_view s) {
  out.push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
}

// Reads one JSON string as json_string writes it, starting at the opening quote; pos ends after the closing
// quote. false when the text there is not such a string.
bool read_string(std::string_view line, std::size_t& pos, std::string& out) {
  out.clear();
  if (pos >= line.size() || line[pos] != '"') return false;
  for (++pos; pos < line.size(); ++pos) {
    char c = line[pos];
    if (c == '"') {
      ++pos;
      return true;
    }
    if (c != '\\') {
      out.push_back(c);
      continue;
    }
    if (++pos >= line.size()) return false;
    char n = line[pos];
    if (n == 'u') {
      if (pos + 4 >= line.size()) return false;
      std::string hex(line.substr(pos + 1, 4));
      char* end = nullptr;
      long v = std::strtol(hex.c_str(), &end, 16);
      if (end != hex.c_str() + 4 || v > 0xFF) return false;
      out.push_back(static_cast<char>(v));
      pos += 4;
    } else {
      out.push_back(n == 'n' ? '\n' : n == 't' ? '\t' : n == 'r' ? '\r' : n);
    }
  }
  return false;
}

bool expect(std::string_view line, std::size_t& pos, std::string_view text) {
  if (line.substr(pos, text.size()) != text) return false;
  pos += text.size();
  return true;
}

struct ParsedLine {
  AuditEntry entry;
  std::string prev;
};

// Parses a line in the exact shape audit_canonical writes (with or without the MAC after it), field by field in
// order, so that a value or a detail can never be taken for another field.
std::optional<ParsedLine> parse_line(std::string_view line) {
  ParsedLine p;
  AuditEntry& e = p.entry;
  std::size_t pos = 0;
  if (!expect(line, pos, "{\"seq\":")) return std::nullopt;
  std::size_t digits = pos;
  while (pos < line.size() && line[pos] >= '0' && line[pos] <= '9' && pos - digits < 19)
    e.seq = e.seq * 10 + static_cast<std::uint64_t>(line[pos++] - '0');
  if (pos == digits) return std::nullopt;
  std::pair<const char*, std::string*> fields[] = {{"time", &e.time},       {"operator", &e.operator_name},
                                                   {"action", &e.action},   {"card", &e.card_id},
                                                   {"holder", &e.holder_id}, {"outcome", &e.outcome},
                                                   {"reason", &e.reason}};
  for (auto& [key, value] : fields)
    if (!expect(line, pos, ",\"") || !expect(line, pos, key) || !expect(line, pos, "\":") ||
        !read_string(line, pos, *value))
      return std::nullopt;
  if (!expect(line, pos, ",\"details\":{")) return std::nullopt;
  while (pos < line.size() && line[pos] == '"') {
    std::string k, v;
    if (!read_string(line, pos, k) || !expect(line, pos, ":") || !read_string(line, pos, v)) return std::nullopt;
    e.details.emplace_back(std::move(k), std::move(v));
    if (pos < line.size() && line[pos] == ',') ++pos;
  }
  if (!expect(line, pos, "},\"prev\":") || !read_string(line, pos, p.prev)) return std::nullopt;
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

std::vector<std::string> lines_of(const std::string& path) {
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

struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};
}  // namespace

std::string audit_canonical(const AuditEntry& e, std::uint64_t seq, const std::string& prev) {
  std::string out = "{\"seq\":" + std::to_string(seq);
  auto add = [&](const char* k, const std::string& v) {
    out += ",\"";
    out += k;
    out += "\":";
    json_string(out, v);
  };
  add("time", e.time);
  add("operator", e.operator_name);
  add("action", e.action);
  add("card", e.card_id);
  add("holder", e.holder_id);
  add("outcome", e.outcome);
  add("reason", e.reason);
  out += ",\"details\":{";
  for (std::size_t i = 0; i < e.details.size(); ++i) {
    if (i != 0) out.push_back(',');
    json_string(out, e.details[i].first);
    out.push_back(':');
    json_string(out, e.details[i].second);
  }
  out += "}";
  add("prev", prev);
  return out;
}

AuditLog::AuditLog(std::string path, ByteView key) : path_(std::move(path)), key_(key.begin(), key.end()) {}

AuditHead AuditLog::append(const AuditEntry& entry) {
  Fd f{::open(path_.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600)};
  if (f.fd < 0) throw Error(ErrorKind::io, "writing the audit trail " + path_ + ": " + std::strerror(errno));
  if (::flock(f.fd, LOCK_EX) != 0) throw Error(ErrorKind::io, "locking the audit trail " + path_ + ": " + std::strerror(errno));
  struct stat st {};
  ::fstat(f.fd, &st);
  off_t before = st.st_size;
  // The last complete line gives seq and prev (read under the lock).
  auto lines = lines_of(path_);
  AuditHead head;
  if (!lines.empty()) {
    head.seq = seq_of(lines.back());
    head.hash = hash_of(lines.back());
  }
  std::string canonical = audit_canonical(entry, head.seq + 1, head.hash);
  Bytes mac = crypto::hmac_sha256(key_, view(canonical));
  std::string line = canonical + ",\"mac\":\"" + to_hex(mac) + "\"}";
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
  return {head.seq + 1, hash_of(line)};
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
  VerifiedAudit out;
  AuditVerification& v = out.verification;
  auto lines = lines_of(path);
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
    if (seq != n)
      return bad(n, "expected entry " + std::to_string(n) + ", found entry " + std::to_string(seq) +
                        (seq > n ? " (entries deleted)" : " (entries reordered or duplicated)"));
    auto parsed = parse_line(canonical);
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
  std::vector<AuditEntry> out;
  for (const auto& line : lines_of(path)) {
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
