#include "cardctl/inventory.hpp"

#include <cctype>
#include <ctime>

#include "sqlite.hpp"

namespace cardctl::store {

namespace {
// Migrations, in order; migration i takes the schema from version i to i + 1.
const char* const kMigrations[] = {
    R"(CREATE TABLE holders (holder_id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at TEXT NOT NULL);
       CREATE TABLE cards (card_id TEXT PRIMARY KEY, holder_id TEXT REFERENCES holders(holder_id),
                           template TEXT NOT NULL, algorithm TEXT NOT NULL, key_version INTEGER NOT NULL,
                           state TEXT NOT NULL, issued_at TEXT NOT NULL, updated_at TEXT NOT NULL);
       CREATE TABLE security_answers (holder_id TEXT NOT NULL REFERENCES holders(holder_id), question_id TEXT NOT NULL,
                           salt BLOB NOT NULL, hash BLOB NOT NULL, n INTEGER NOT NULL, r INTEGER NOT NULL,
                           p INTEGER NOT NULL, PRIMARY KEY (holder_id, question_id));
       CREATE TABLE escrowed_puks (card_id TEXT PRIMARY KEY REFERENCES cards(card_id), iv BLOB NOT NULL,
                           ciphertext BLOB NOT NULL, created_at TEXT NOT NULL);
       CREATE TABLE offline_unblocks (card_id TEXT NOT NULL, at TEXT NOT NULL, operator TEXT NOT NULL);
       CREATE INDEX offline_unblocks_card ON offline_unblocks (card_id, at);
       CREATE TABLE identification_failures (holder_id TEXT NOT NULL, at TEXT NOT NULL);
       CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);)",
};

bool transition_allowed(CardState from, CardState to) {
  switch (from) {
    case CardState::pending: return to == CardState::active || to == CardState::retired;
    case CardState::active: return to == CardState::revoked || to == CardState::retired;
    case CardState::revoked:
    case CardState::retired: return false;
  }
  return false;
}

CardRecord card_from(const Statement& s) {
  CardRecord c;
  c.card_id = s.text(0);
  c.holder_id = s.text(1);
  c.template_name = s.text(2);
  c.algorithm = crypto::admin_algorithm_from_name(s.text(3)).value_or(crypto::AdminAlgorithm::tdes);
  c.key_version = static_cast<std::uint32_t>(s.integer(4));
  c.state = card_state_from(s.text(5)).value_or(CardState::pending);
  c.issued_at = s.text(6);
  c.updated_at = s.text(7);
  return c;
}
constexpr const char* kCardColumns =
    "SELECT card_id, coalesce(holder_id, ''), template, algorithm, key_version, state, issued_at, updated_at FROM cards";
}  // namespace

const char* to_string(CardState s) {
  switch (s) {
    case CardState::pending: return "pending";
    case CardState::active: return "active";
    case CardState::revoked: return "revoked";
    case CardState::retired: return "retired";
  }
  return "pending";
}

std::optional<CardState> card_state_from(std::string_view s) {
  for (auto st : {CardState::pending, CardState::active, CardState::revoked, CardState::retired})
    if (s == to_string(st)) return st;
  return std::nullopt;
}

std::string iso8601(std::chrono::system_clock::time_point t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string normalise_answer(std::string_view answer) {
  std::string out;
  bool space = false;
  for (unsigned char c : answer) {
    if (std::isspace(c)) {
      space = true;
    } else if (std::isalnum(c) || c >= 0x80) {
      if (space && !out.empty()) out.push_back(' ');
      space = false;
      out.push_back(static_cast<char>(std::tolower(c)));
    }
  }
  return out;
}

Inventory Inventory::open(const std::string& path, InventoryOptions options) {
  Inventory inv;
  inv.path_ = path;
  inv.options_ = std::move(options);
  if (!inv.options_.clock) inv.options_.clock = [] { return std::chrono::system_clock::now(); };
  int rc = sqlite3_open_v2(path.c_str(), &inv.db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) sqlite_fail(inv.db_, rc, "opening the inventory " + path);
  sqlite3_busy_timeout(inv.db_, static_cast<int>(inv.options_.busy_timeout.count()));
  inv.exec("PRAGMA foreign_keys = ON");
  {
    Statement wal(inv.db_, "PRAGMA journal_mode = WAL");
    wal.run("opening the inventory " + path);
  }
  int version = inv.schema_version();
  constexpr int known = static_cast<int>(sizeof kMigrations / sizeof kMigrations[0]);
  if (version > known)
    throw Error(ErrorKind::io, "the inventory " + path + " has schema version " + std::to_string(version) +
                                   ", newer than this cardctl knows (" + std::to_string(known) + ")",
                "upgrade cardctl");
  if (version < known) {
    inv.with_transaction([&] {
      for (int v = inv.schema_version(); v < known; ++v) {
        inv.exec(kMigrations[v]);
        inv.exec(("PRAGMA user_version = " + std::to_string(v + 1)).c_str());
      }
    });
  }
  return inv;
}

Inventory::Inventory(Inventory&& o) noexcept : db_(o.db_), path_(std::move(o.path_)), options_(std::move(o.options_)) {
  o.db_ = nullptr;
}
Inventory& Inventory::operator=(Inventory&& o) noexcept {
  if (this != &o) {
    sqlite3_close_v2(db_);
    db_ = o.db_;
    path_ = std::move(o.path_);
    options_ = std::move(o.options_);
    o.db_ = nullptr;
  }
  return *this;
}
Inventory::~Inventory() { sqlite3_close_v2(db_); }

void Inventory::exec(const char* sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
  sqlite3_free(err);
  if (rc != SQLITE_OK) sqlite_fail(db_, rc, "updating the inventory " + path_);
}

int Inventory::schema_version() {
  Statement s(db_, "PRAGMA user_version");
  s.step("reading the inventory schema version");
  return static_cast<int>(s.integer(0));
}

void Inventory::with_transaction(const std::function<void()>& fn) {
  if (sqlite3_get_autocommit(db_) == 0) {  // already inside one: a savepoint nests
    exec("SAVEPOINT nested");
    try {
      fn();
      exec("RELEASE nested");
    } catch (...) {
      sqlite3_exec(db_, "ROLLBACK TO nested; RELEASE nested", nullptr, nullptr, nullptr);
      throw;
    }
    return;
  }
  exec("BEGIN IMMEDIATE");
  try {
    fn();
    exec("COMMIT");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

std::chrono::system_clock::time_point Inventory::now_point() { return options_.clock(); }
std::string Inventory::now() { return iso8601(now_point()); }

void Inventory::add_holder(const Holder& h) {
  if (find_holder(h.holder_id))
    throw Error(ErrorKind::conflict, "holder '" + h.holder_id + "' is already in the inventory");
  Statement s(db_, "INSERT INTO holders (holder_id, name, created_at) VALUES (?, ?, ?)");
  s.bind(1, h.holder_id).bind(2, h.name).bind(3, now()).run("adding holder " + h.holder_id);
}

std::optional<Holder> Inventory::find_holder(const std::string& id) {
  Statement s(db_, "SELECT holder_id, name FROM holders WHERE holder_id = ?");
  s.bind(1, id);
  if (!s.step("looking up holder " + id)) return std::nullopt;
  return Holder{s.text(0), s.text(1)};
}

void Inventory::enrol_answers(const std::string& holder_id,
                              const std::vector<std::pair<std::string, std::string>>& answers) {
  if (!find_holder(holder_id)) throw Error(ErrorKind::not_found, "no holder '" + holder_id + "' in the inventory");
  const auto& sp = options_.answer_scrypt;
  with_transaction([&] {
    Statement del(db_, "DELETE FROM security_answers WHERE holder_id = ?");
    del.bind(1, holder_id).run("enrolling answers");
    for (const auto& [question, answer] : answers) {
      std::string norm = normalise_answer(answer);
      if (norm.empty()) throw Error(ErrorKind::usage, "the answer to '" + question + "' is empty");
      Bytes salt = crypto::random_bytes(16);
      SecureBytes hash = crypto::scrypt(view(norm), salt, 32, sp);
      secure_wipe(norm.data(), norm.size());
      Statement ins(db_, "INSERT INTO security_answers (holder_id, question_id, salt, hash, n, r, p) VALUES (?,?,?,?,?,?,?)");
      ins.bind(1, holder_id).bind(2, question).bind(3, ByteView(salt)).bind(4, ByteView(hash));
      ins.bind(5, static_cast<std::int64_t>(sp.n)).bind(6, static_cast<std::int64_t>(sp.r)).bind(7, static_cast<std::int64_t>(sp.p));
      ins.run("enrolling answers");
    }
  });
}

std::vector<std::string> Inventory::enrolled_questions(const std::string& holder_id) {
  Statement s(db_, "SELECT question_id FROM security_answers WHERE holder_id = ? ORDER BY question_id");
  s.bind(1, holder_id);
  std::vector<std::string> out;
  while (s.step("reading enrolled questions")) out.push_back(s.text(0));
  return out;
}

bool Inventory::verify_answer(const std::string& holder_id, const std::string& question_id, std::string_view answer) {
  Statement s(db_, "SELECT salt, hash, n, r, p FROM security_answers WHERE holder_id = ? AND question_id = ?");
  s.bind(1, holder_id).bind(2, question_id);
  if (!s.step("checking an answer")) return false;
  crypto::ScryptParams sp{static_cast<std::uint64_t>(s.integer(2)), static_cast<std::uint32_t>(s.integer(3)),
                          static_cast<std::uint32_t>(s.integer(4))};
  std::string norm = normalise_answer(answer);
  SecureBytes got = crypto::scrypt(view(norm), s.blob(0), 32, sp);
  secure_wipe(norm.data(), norm.size());
  return crypto::equal_ct(got, s.blob(1));
}

void Inventory::add_card(const CardRecord& c) {
  if (find_card(c.card_id)) throw Error(ErrorKind::conflict, "card " + c.card_id + " is already in the inventory");
  std::string t = now();
  Statement s(db_, "INSERT INTO cards (card_id, holder_id, template, algorithm, key_version, state, issued_at, updated_at) "
                   "VALUES (?, nullif(?, ''), ?, ?, ?, ?, ?, ?)");
  s.bind(1, c.card_id).bind(2, c.holder_id).bind(3, c.template_name).bind(4, std::string(crypto::info(c.algorithm).name));
  s.bind(5, static_cast<std::int64_t>(c.key_version)).bind(6, std::string(to_string(c.state)));
  s.bind(7, c.issued_at.empty() ? t : c.issued_at).bind(8, t).run("adding card " + c.card_id);
}

std::optional<CardRecord> Inventory::find_card(const std::string& card_id) {
  Statement s(db_, (std::string(kCardColumns) + " WHERE card_id = ?").c_str());
  s.bind(1, card_id);
  if (!s.step("looking up card " + card_id)) return std::nullopt;
  return card_from(s);
}

std::vector<CardRecord> Inventory::list_cards(std::optional<CardState> state) {
  std::string sql = std::string(kCardColumns) + (state ? " WHERE state = ?" : "") + " ORDER BY issued_at, card_id";
  Statement s(db_, sql.c_str());
  if (state) s.bind(1, std::string(to_string(*state)));
  std::vector<CardRecord> out;
  while (s.step("listing cards")) out.push_back(card_from(s));
  return out;
}

void Inventory::set_card_state(const std::string& card_id, CardState to) {
  auto card = find_card(card_id);
  if (!card) throw Error(ErrorKind::not_found, "card " + card_id + " is not in the inventory");
  if (card->state == to) return;
  if (!transition_allowed(card->state, to))
    throw Error(ErrorKind::policy, "card " + card_id + " is " + to_string(card->state) + " and cannot become " +
                                       to_string(to));
  Statement s(db_, "UPDATE cards SET state = ?, updated_at = ? WHERE card_id = ?");
  s.bind(1, std::string(to_string(to))).bind(2, now()).bind(3, card_id).run("updating card " + card_id);
}

void Inventory::store_puk(const std::string& card_id, const Puk& puk, ByteView escrow_key) {
  Bytes iv = crypto::random_bytes(12);
  Bytes sealed = crypto::aes_gcm_seal(escrow_key, iv, view(card_id), puk.bytes());
  Statement s(db_, "INSERT OR REPLACE INTO escrowed_puks (card_id, iv, ciphertext, created_at) VALUES (?, ?, ?, ?)");
  s.bind(1, card_id).bind(2, ByteView(iv)).bind(3, ByteView(sealed)).bind(4, now()).run("escrowing the PUK of " + card_id);
}

Puk Inventory::load_puk(const std::string& card_id, ByteView escrow_key) {
  Statement s(db_, "SELECT iv, ciphertext FROM escrowed_puks WHERE card_id = ?");
  s.bind(1, card_id);
  if (!s.step("reading the escrowed PUK of " + card_id))
    throw Error(ErrorKind::not_found, "no escrowed PUK for card " + card_id);
  try {
    return Puk(crypto::aes_gcm_open(escrow_key, s.blob(0), view(card_id), s.blob(1)));
  } catch (const Error&) {
    throw Error(ErrorKind::crypto, "the escrowed PUK of card " + card_id + " cannot be decrypted (wrong keystore, or the record was altered)");
  }
}

void Inventory::record_offline_unblock(const std::string& card_id, const std::string& operator_name) {
  Statement s(db_, "INSERT INTO offline_unblocks (card_id, at, operator) VALUES (?, ?, ?)");
  s.bind(1, card_id).bind(2, now()).bind(3, operator_name).run("recording an offline unblock");
}

int Inventory::count_offline_unblocks(const std::string& card_id, std::chrono::system_clock::time_point since) {
  Statement s(db_, "SELECT count(*) FROM offline_unblocks WHERE card_id = ? AND at >= ?");
  s.bind(1, card_id).bind(2, iso8601(since));
  s.step("counting offline unblocks");
  return static_cast<int>(s.integer(0));
}

void Inventory::record_identification_failure(const std::string& holder_id) {
  Statement s(db_, "INSERT INTO identification_failures (holder_id, at) VALUES (?, ?)");
  s.bind(1, holder_id).bind(2, now()).run("recording a failed identification");
}

int Inventory::count_identification_failures(const std::string& holder_id, std::chrono::system_clock::time_point since) {
  Statement s(db_, "SELECT count(*) FROM identification_failures WHERE holder_id = ? AND at >= ?");
  s.bind(1, holder_id).bind(2, iso8601(since));
  s.step("counting failed identifications");
  return static_cast<int>(s.integer(0));
}

void Inventory::clear_identification_failures(const std::string& holder_id) {
  Statement s(db_, "DELETE FROM identification_failures WHERE holder_id = ?");
  s.bind(1, holder_id).run("clearing failed identifications");
}

void Inventory::set_audit_head(std::uint64_t seq, const std::string& hash) {
  // Two operators may append at once; the head only moves forward.
  with_transaction([&] {
    auto current = audit_head();
    if (current && current->first >= seq) return;
    Statement s(db_, "INSERT OR REPLACE INTO meta (key, value) VALUES ('audit_head', ?)");
    s.bind(1, std::to_string(seq) + " " + hash).run("recording the audit head");
  });
}

std::optional<std::pair<std::uint64_t, std::string>> Inventory::audit_head() {
  Statement s(db_, "SELECT value FROM meta WHERE key = 'audit_head'");
  if (!s.step("reading the audit head")) return std::nullopt;
  std::string v = s.text(0);
  auto sp = v.find(' ');
  if (sp == std::string::npos) return std::nullopt;
  return std::make_pair(std::stoull(v.substr(0, sp)), v.substr(sp + 1));
}

}  // namespace cardctl::store
