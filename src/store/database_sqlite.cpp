// The SQLite implementation of database.hpp.
#include <sqlite3.h>
#include <sys/statvfs.h>

#include "cardctl/error.hpp"
#include "database.hpp"

namespace cardctl::store {

namespace {

// True when the file system holding path has less than 1 MiB left: SQLite then reports "disk I/O error" while
// growing the WAL or its shared memory, which is the full disk in other words.
bool disk_nearly_full(const std::string& path) {
  auto slash = path.find_last_of('/');
  std::string dir = slash == std::string::npos ? "." : path.substr(0, slash == 0 ? 1 : slash);
  struct statvfs fs {};
  if (::statvfs(dir.c_str(), &fs) != 0) return false;
  return static_cast<unsigned long long>(fs.f_bavail) * fs.f_frsize < (1ull << 20);
}

[[noreturn]] void sqlite_fail(sqlite3* db, int rc, const std::string& what) {
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

class SqliteQuery : public Query {
 public:
  SqliteQuery(sqlite3* db, const char* sql) : db_(db) {
    int rc = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr);
    if (rc != SQLITE_OK) sqlite_fail(db, rc, "preparing a query");
  }
  ~SqliteQuery() override { sqlite3_finalize(stmt_); }
  void bind_text(int i, const std::string& v) override {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  void bind_integer(int i, std::int64_t v) override { sqlite3_bind_int64(stmt_, i, v); }
  void bind_blob(int i, ByteView v) override {
    sqlite3_bind_blob(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  bool step(const std::string& what) override {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    sqlite_fail(db_, rc, what);
  }
  std::string text(int col) const override {
    auto* p = sqlite3_column_text(stmt_, col);
    return p != nullptr ? reinterpret_cast<const char*>(p) : "";
  }
  std::int64_t integer(int col) const override { return sqlite3_column_int64(stmt_, col); }
  Bytes blob(int col) const override {
    auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_, col));
    return p != nullptr ? Bytes(p, p + sqlite3_column_bytes(stmt_, col)) : Bytes{};
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

class SqliteDatabase : public Database {
 public:
  SqliteDatabase(const std::string& path, std::chrono::milliseconds busy_timeout) : path_(path) {
    int rc = sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, nullptr);
    if (rc != SQLITE_OK) {
      try {
        sqlite_fail(db_, rc, "opening the inventory " + path);
      } catch (...) {
        sqlite3_close_v2(db_);
        throw;
      }
    }
    sqlite3_busy_timeout(db_, static_cast<int>(busy_timeout.count()));
    try {
      exec("PRAGMA foreign_keys = ON", "opening the inventory " + path);
      SqliteQuery wal(db_, "PRAGMA journal_mode = WAL");
      while (wal.step("opening the inventory " + path)) {
      }
    } catch (...) {
      sqlite3_close_v2(db_);
      throw;
    }
  }
  ~SqliteDatabase() override { sqlite3_close_v2(db_); }
  Dialect dialect() const override { return Dialect::sqlite; }
  const std::string& location() const override { return path_; }
  std::unique_ptr<Query> query(const char* sql) override { return std::make_unique<SqliteQuery>(db_, sql); }
  void exec(const std::string& sql, const std::string& what) override {
    char* err = nullptr;
    int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
    sqlite3_free(err);
    if (rc != SQLITE_OK) sqlite_fail(db_, rc, what);
  }
  void begin() override { exec("BEGIN IMMEDIATE", "updating the inventory " + path_); }
  bool in_transaction() override { return sqlite3_get_autocommit(db_) == 0; }
  int schema_version() override {
    SqliteQuery s(db_, "PRAGMA user_version");
    s.step("reading the inventory schema version");
    return static_cast<int>(s.integer(0));
  }
  void set_schema_version(int version) override {
    exec("PRAGMA user_version = " + std::to_string(version), "updating the inventory " + path_);
  }

 private:
  std::string path_;
  sqlite3* db_ = nullptr;
};

}  // namespace

std::unique_ptr<Database> open_sqlite(const std::string& path, std::chrono::milliseconds busy_timeout) {
  return std::make_unique<SqliteDatabase>(path, busy_timeout);
}

}  // namespace cardctl::store
