// The one connection interface the inventory is written against (docs/architecture.md#inventory), with two
// implementations: SQLite (a file in the installation directory, the default) and PostgreSQL (a server shared by
// several workstations, libpq). Statements use '?' for parameters, bound by position, and the SQL both accept
// (INSERT ... ON CONFLICT, no PRAGMA); what differs (the schema's column types, the schema version, the write
// lock) is behind this interface.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "cardctl/bytes.hpp"

namespace cardctl::store {

enum class Dialect { sqlite, postgres };

class Query {
 public:
  virtual ~Query() = default;
  virtual void bind_text(int i, const std::string& v) = 0;
  virtual void bind_integer(int i, std::int64_t v) = 0;
  virtual void bind_blob(int i, ByteView v) = 0;
  /// true when a row is available; Error (mapped as the database does) on failure, with `what` in front.
  virtual bool step(const std::string& what) = 0;
  virtual std::string text(int col) const = 0;
  virtual std::int64_t integer(int col) const = 0;
  virtual Bytes blob(int col) const = 0;
};

class Database {
 public:
  virtual ~Database() = default;
  virtual Dialect dialect() const = 0;
  /// The path or URL, for messages (a URL never holds a password: site_config refuses one).
  virtual const std::string& location() const = 0;
  virtual std::unique_ptr<Query> query(const char* sql) = 0;
  /// Statements without parameters (several, separated by ';').
  virtual void exec(const std::string& sql, const std::string& what) = 0;
  /// Starts the write transaction: one writer at a time across every process (and, for PostgreSQL, every
  /// workstation) using this database, waiting for the busy timeout at most (then Error(conflict)).
  virtual void begin() = 0;
  virtual bool in_transaction() = 0;
  /// The schema version recorded in the database, 0 for an empty one.
  virtual int schema_version() = 0;
  virtual void set_schema_version(int version) = 0;
};

/// Opens (creating it only when create) an SQLite file: WAL mode, foreign keys, the busy timeout.
std::unique_ptr<Database> open_sqlite(const std::string& path, std::chrono::milliseconds busy_timeout);
/// Connects to a PostgreSQL database given as a postgresql:// URL (libpq: ~/.pgpass, PGPASSFILE, PGPASSWORD,
/// sslmode and client certificates apply). Error(io) naming the server when it cannot be reached, with libpq's
/// reason; the busy timeout bounds the wait for the write lock.
std::unique_ptr<Database> open_postgres(const std::string& url, std::chrono::milliseconds busy_timeout);

/// A query with the binding helpers the inventory uses.
class Statement {
 public:
  Statement(Database& db, const char* sql) : q_(db.query(sql)) {}
  Statement& bind(int i, const std::string& v) {
    q_->bind_text(i, v);
    return *this;
  }
  Statement& bind(int i, std::int64_t v) {
    q_->bind_integer(i, v);
    return *this;
  }
  Statement& bind(int i, ByteView v) {
    q_->bind_blob(i, v);
    return *this;
  }
  bool step(const std::string& what) { return q_->step(what); }
  void run(const std::string& what) {
    while (step(what)) {
    }
  }
  std::string text(int col) const { return q_->text(col); }
  std::int64_t integer(int col) const { return q_->integer(col); }
  Bytes blob(int col) const { return q_->blob(col); }

 private:
  std::unique_ptr<Query> q_;
};

}  // namespace cardctl::store
