// RAII for SQLite statements, bound parameters only, and the one mapping of SQLite failures to Error.
#pragma once

#include <sqlite3.h>
#include <string>
#include <sys/statvfs.h>

#include "cardctl/bytes.hpp"
#include "cardctl/error.hpp"

namespace cardctl::store {

// True when the file system holding path has less than 1 MiB left: SQLite then reports "disk I/O error" while
// growing the WAL or its shared memory, which is the full disk in other words.
inline bool disk_nearly_full(const std::string& path) {
  auto slash = path.find_last_of('/');
  std::string dir = slash == std::string::npos ? "." : path.substr(0, slash == 0 ? 1 : slash);
  struct statvfs fs {};
  if (::statvfs(dir.c_str(), &fs) != 0) return false;
  return static_cast<unsigned long long>(fs.f_bavail) * fs.f_frsize < (1ull << 20);
}

[[noreturn]] inline void sqlite_fail(sqlite3* db, int rc, const std::string& what) {
  std::string msg = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  int primary = rc & 0xFF;
  const char* file = db != nullptr ? sqlite3_db_filename(db, "main") : nullptr;
  std::string path = file != nullptr ? file : "";
  if (primary == SQLITE_FULL || ((primary == SQLITE_IOERR || primary == SQLITE_CANTOPEN) && !path.empty() &&
                                 disk_nearly_full(path)))
    throw Error(ErrorKind::io, what + ": the disk holding the inventory " + path + " is full",
                "free some space there (df -h shows it), then run the command again; the inventory is unchanged");
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED)
    throw Error(ErrorKind::conflict, what + ": the inventory is locked by another process",
                "retry in a moment, or check for a cardctl that is still running");
  if (primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT)
    throw Error(ErrorKind::io, what + ": the inventory file is not a valid database (" + msg + ")",
                "restore it from your backup");
  throw Error(ErrorKind::io, what + ": " + msg);
}

class Statement {
 public:
  Statement(sqlite3* db, const char* sql) : db_(db) {
    int rc = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr);
    if (rc != SQLITE_OK) sqlite_fail(db, rc, "preparing a query");
  }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement() { sqlite3_finalize(stmt_); }

  Statement& bind(int i, const std::string& v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& bind(int i, std::int64_t v) {
    sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }
  Statement& bind(int i, ByteView v) {
    sqlite3_bind_blob(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  /// true when a row is available.
  bool step(const std::string& what) {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    sqlite_fail(db_, rc, what);
  }
  void run(const std::string& what) {
    while (step(what)) {
    }
  }
  std::string text(int col) const {
    auto* p = sqlite3_column_text(stmt_, col);
    return p != nullptr ? reinterpret_cast<const char*>(p) : "";
  }
  std::int64_t integer(int col) const { return sqlite3_column_int64(stmt_, col); }
  Bytes blob(int col) const {
    auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_, col));
    return p != nullptr ? Bytes(p, p + sqlite3_column_bytes(stmt_, col)) : Bytes{};
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

}  // namespace cardctl::store
