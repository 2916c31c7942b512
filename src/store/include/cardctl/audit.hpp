// Layer 8: the audit trail (docs/architecture.md#audit-trail): append-only JSON Lines, each entry chained to the
// previous one by SHA-256 and authenticated by HMAC-SHA256 under the keystore's audit key. Secrets are never written.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cardctl/bytes.hpp"

namespace cardctl::store {

struct AuditEntry {
  std::string time;  // UTC ISO-8601
  std::string operator_name;
  std::string action;  // "init", "issue", "respond", "respond-refused", "puk-disclose", "so-unblock", ...
  std::string card_id;
  std::string holder_id;
  std::string outcome;  // "ok", "refused", "failed"
  std::string reason;
  std::vector<std::pair<std::string, std::string>> details;
  std::uint64_t seq = 0;  // filled in when read back

  /// The value of a detail, empty when absent.
  std::string detail(std::string_view key) const;
};

struct AuditHead {
  std::uint64_t seq = 0;
  std::string hash;  // hex SHA-256 of the last line; empty for an empty trail
};

class AuditLog {
 public:
  AuditLog(std::string path, ByteView key);
  /// Appends one entry atomically (one write, fsync, under an exclusive lock). On a failed or short write the
  /// file is cut back to its previous size and Error(io) names the path and the cause. Returns the new head.
  AuditHead append(const AuditEntry& entry);
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  SecureBytes key_;
};

struct AuditVerification {
  bool ok = true;
  std::uint64_t entries = 0;
  std::uint64_t bad_line = 0;  // 1-based line of the first problem
  std::string problem;         // "line 7: MAC does not match (entry edited?)"
  AuditHead head;
};

/// The line that records entry after `last` (the trail's last line, "" for an empty trail): its canonical JSON with
/// the next seq and last's hash, then the MAC under key. Error(usage) as audit_canonical.
std::string audit_line_after(const std::string& last, const AuditEntry& entry, ByteView key);
/// The (seq, hash) a line makes the trail's head.
AuditHead audit_head_of(const std::string& line);
/// The lines of a trail file ("" lines excluded; an unterminated last line included); none when it is missing.
std::vector<std::string> audit_file_lines(const std::string& path);

/// Checks every line's MAC, sequence and chain, and (when given) that the trail ends at expected_head, so that
/// deleting or truncating the last entries is found too.
AuditVerification verify_audit(const std::string& path, ByteView key, const std::optional<AuditHead>& expected_head);

struct VerifiedAudit {
  AuditVerification verification;
  std::vector<AuditEntry> entries;  // in order; empty unless verification.ok
};
/// verify_audit, and the entries parsed (the security-relevant counts are computed from these).
VerifiedAudit read_audit(const std::string& path, ByteView key, const std::optional<AuditHead>& expected_head);
/// The same over a trail's lines, wherever they are kept (a file, or a database: Inventory::audit_lines()).
VerifiedAudit read_audit_lines(const std::vector<std::string>& lines, ByteView key,
                               const std::optional<AuditHead>& expected_head);

struct AuditFilter {
  std::string since, until;  // ISO-8601 prefixes compared as strings (audit_time_bound makes them)
  std::string card_id, action, operator_name;
};
/// The entries that match, as parsed fields (for `cardctl audit show`).
std::vector<AuditEntry> query_audit(const std::string& path, const AuditFilter& filter);
std::vector<AuditEntry> query_audit_lines(const std::vector<std::string>& lines, const AuditFilter& filter);

/// A --since/--until value as the prefix of the trail's UTC timestamps it means: "2026-11-01",
/// "2026-11-01T10:00", "2026-11-01 10:00:30Z", or relative to now: "30m", "24h", "7d", "2w", "today",
/// "yesterday". Error(usage), with the accepted forms as the hint, for anything else.
std::string audit_time_bound(std::string_view text, std::chrono::system_clock::time_point now);

/// Whether text can be recorded exactly as it is: JSON strings hold UTF-8 text and nothing else, and an entry whose
/// holder or card id came back changed would no longer be counted against that holder or card.
bool is_utf8_text(std::string_view text);

/// The canonical JSON of an entry without its MAC (what the MAC covers), given seq and prev. Error(usage) naming
/// the field when one is not UTF-8 text (is_utf8_text): nothing is recorded then.
std::string audit_canonical(const AuditEntry& e, std::uint64_t seq, const std::string& prev);

}  // namespace cardctl::store
