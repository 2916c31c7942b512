// The PostgreSQL implementation of database.hpp (libpq). Every write transaction takes one transaction-level
// advisory lock first, so writers are serialised across all workstations exactly as BEGIN IMMEDIATE serialises
// them on an SQLite file: the read of the audit trail, the check against the policy's limits and the record of
// the outcome never interleave with another desk's (docs/architecture.md#several-workstations).
#include <libpq-fe.h>

#include <optional>
#include <vector>

#include "cardctl/error.hpp"
#include "database.hpp"

namespace cardctl::store {

namespace {

// The advisory lock every writer takes ("cardctl" in ASCII): one installation per database.
constexpr const char* kWriteLock = "SELECT pg_advisory_xact_lock(7161692496458787948)";

struct Result {
  PGresult* r = nullptr;
  explicit Result(PGresult* p) : r(p) {}
  Result(Result&& o) noexcept : r(o.r) { o.r = nullptr; }
  Result& operator=(Result&& o) noexcept {
    std::swap(r, o.r);
    return *this;
  }
  ~Result() { PQclear(r); }
};

std::string first_line(const char* text) {
  std::string s = text != nullptr ? text : "";
  if (auto nl = s.find('\n'); nl != std::string::npos) s.resize(nl);
  return s;
}

// Throws the Error for a failed result: the write lock not had in time is a conflict, a lost server is io with a
// hint, anything else is io with the server's message.
[[noreturn]] void postgres_fail(PGconn* conn, const PGresult* res, const std::string& what, const std::string& where) {
  const char* state = res != nullptr ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  const std::string code = state != nullptr ? state : "";
  const std::string message =
      first_line(res != nullptr && PQresultErrorMessage(res)[0] != '\0' ? PQresultErrorMessage(res) : PQerrorMessage(conn));
  if (code == "55P03" || code == "40001" || code == "40P01" || code == "57014")
    throw Error(ErrorKind::conflict, what + ": the inventory is locked by another workstation",
                "retry in a moment; nothing was changed");
  if (code == "53100")
    throw Error(ErrorKind::io, what + ": the database server's disk is full (" + where + ")",
                "ask the database administrator to free space; nothing was changed");
  if (code == "23505") throw Error(ErrorKind::conflict, what + ": " + message);
  if (PQstatus(conn) == CONNECTION_BAD || code.rfind("08", 0) == 0)
    throw Error(ErrorKind::io, what + ": the connection to the inventory database " + where + " was lost (" + message + ")",
                "check that the database server is running and reachable, then run the command again");
  throw Error(ErrorKind::io, what + ": " + message);
}

// libpq numbers parameters $1, $2...; the inventory's SQL uses '?' outside quoted text.
std::string numbered(const char* sql) {
  std::string out;
  int n = 0;
  bool quoted = false;
  for (const char* p = sql; *p != '\0'; ++p) {
    if (*p == '\'') quoted = !quoted;
    if (*p == '?' && !quoted) {
      out += "$" + std::to_string(++n);
    } else {
      out.push_back(*p);
    }
  }
  return out;
}

class PostgresQuery : public Query {
 public:
  PostgresQuery(PGconn* conn, const std::string& where, const char* sql)
      : conn_(conn), where_(where), sql_(numbered(sql)) {}
  void bind_text(int i, const std::string& v) override { set(i, Bytes(v.begin(), v.end()), 0); }
  void bind_integer(int i, std::int64_t v) override {
    const std::string s = std::to_string(v);
    set(i, Bytes(s.begin(), s.end()), 0);
  }
  void bind_blob(int i, ByteView v) override { set(i, Bytes(v.begin(), v.end()), 1); }
  bool step(const std::string& what) override {
    if (!result_) {
      std::vector<const char*> values;
      std::vector<int> lengths, formats;
      for (auto& p : params_) {
        p.value.push_back(0);  // text parameters are read up to the NUL; binary ones by length
        values.push_back(reinterpret_cast<const char*>(p.value.data()));
        lengths.push_back(static_cast<int>(p.value.size() - 1));
        formats.push_back(p.format);
      }
      result_.emplace(PQexecParams(conn_, sql_.c_str(), static_cast<int>(params_.size()), nullptr, values.data(),
                                   lengths.data(), formats.data(), 0));
      for (auto& p : params_) std::fill(p.value.begin(), p.value.end(), 0);
      const auto status = PQresultStatus(result_->r);
      if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) postgres_fail(conn_, result_->r, what, where_);
      row_ = -1;
    }
    return ++row_ < PQntuples(result_->r);
  }
  std::string text(int col) const override { return PQgetvalue(result_->r, row_, col); }
  std::int64_t integer(int col) const override {
    const char* v = PQgetvalue(result_->r, row_, col);
    return v[0] == '\0' ? 0 : std::stoll(v);
  }
  Bytes blob(int col) const override {
    if (PQgetisnull(result_->r, row_, col)) return {};
    std::string_view v = PQgetvalue(result_->r, row_, col);
    if (v.substr(0, 2) != "\\x") throw Error(ErrorKind::io, "the inventory database returned a value that is not bytea");
    return from_hex(v.substr(2));
  }

 private:
  struct Param {
    Bytes value;
    int format = 0;
  };
  void set(int i, Bytes v, int format) {
    if (i < 1) throw Error(ErrorKind::internal, "query parameters are numbered from 1");
    if (params_.size() < static_cast<std::size_t>(i)) params_.resize(static_cast<std::size_t>(i));
    params_[static_cast<std::size_t>(i - 1)] = {std::move(v), format};
  }
  PGconn* conn_;
  const std::string& where_;
  std::string sql_;
  std::vector<Param> params_;
  std::optional<Result> result_;
  int row_ = -1;
};

class PostgresDatabase : public Database {
 public:
  PostgresDatabase(const std::string& url, std::chrono::milliseconds busy_timeout)
      : url_(url), busy_timeout_(busy_timeout) {
    // Given before the URL, so that the URL's own settings win.
    const char* keywords[] = {"connect_timeout", "application_name", "client_encoding", "dbname", nullptr};
    const char* values[] = {"10", "cardctl", "UTF8", url.c_str(), nullptr};
    conn_ = PQconnectdbParams(keywords, values, 1);
    if (conn_ == nullptr) throw Error(ErrorKind::io, "connecting to the inventory database: out of memory");
    if (PQstatus(conn_) != CONNECTION_OK) {
      const bool needs_password = PQconnectionNeedsPassword(conn_) != 0;
      const std::string why = first_line(PQerrorMessage(conn_));
      PQfinish(conn_);
      if (needs_password)
        throw Error(ErrorKind::io, "the inventory database " + url + " asks for a password, and none was found",
                    "put it in ~/.pgpass (host:port:database:user:password, mode 0600) or the file PGPASSFILE names, "
                    "or set PGPASSWORD; or use a client certificate");
      throw Error(ErrorKind::io, "cannot reach the inventory database " + url + " (" + why + ")",
                  "check that the database server is running and reachable from here, and the URL in the site file "
                  "(cardctl site show)");
    }
    PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);
  }
  ~PostgresDatabase() override { PQfinish(conn_); }
  Dialect dialect() const override { return Dialect::postgres; }
  const std::string& location() const override { return url_; }
  std::unique_ptr<Query> query(const char* sql) override { return std::make_unique<PostgresQuery>(conn_, url_, sql); }
  void exec(const std::string& sql, const std::string& what) override {
    Result r(PQexec(conn_, sql.c_str()));
    const auto status = PQresultStatus(r.r);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) postgres_fail(conn_, r.r, what, url_);
  }
  void begin() override {
    const std::string what = "updating the inventory database " + url_;
    exec("BEGIN", what);
    try {
      exec("SET LOCAL lock_timeout = " + std::to_string(std::max<long long>(1, busy_timeout_.count())), what);
      exec(kWriteLock, what);
    } catch (...) {
      PQclear(PQexec(conn_, "ROLLBACK"));
      throw;
    }
  }
  bool in_transaction() override { return PQtransactionStatus(conn_) != PQTRANS_IDLE; }
  int schema_version() override {
    PostgresQuery exists(conn_, url_, "SELECT to_regclass('meta') IS NOT NULL");
    exists.step("reading the inventory schema version");
    if (exists.text(0) != "t") return 0;
    PostgresQuery s(conn_, url_, "SELECT value FROM meta WHERE key = 'schema_version'");
    return s.step("reading the inventory schema version") ? std::stoi(s.text(0)) : 0;
  }
  void set_schema_version(int version) override {
    PostgresQuery s(conn_, url_,
                    "INSERT INTO meta (key, value) VALUES ('schema_version', ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value");
    s.bind_text(1, std::to_string(version));
    s.step("updating the inventory schema version");
  }

 private:
  std::string url_;
  std::chrono::milliseconds busy_timeout_;
  PGconn* conn_ = nullptr;
};

}  // namespace

std::unique_ptr<Database> open_postgres(const std::string& url, std::chrono::milliseconds busy_timeout) {
  return std::make_unique<PostgresDatabase>(url, busy_timeout);
}

}  // namespace cardctl::store
