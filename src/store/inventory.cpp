#include "cardctl/inventory.hpp"

#include <cctype>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <unistd.h>

#include "cardctl/error.hpp"
#include "cardctl/files.hpp"
#include "cardctl/phase_time.hpp"

#include "database.hpp"

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
    // 2: row MACs; counts move to the audit trail, where they cannot be deleted unnoticed.
    R"(ALTER TABLE cards ADD COLUMN mac BLOB;
       ALTER TABLE security_answers ADD COLUMN mac BLOB;
       ALTER TABLE escrowed_puks ADD COLUMN mac BLOB;
       DROP TABLE offline_unblocks;
       DROP TABLE identification_failures;
       CREATE TABLE escrowed_first_pins (card_id TEXT PRIMARY KEY REFERENCES cards(card_id), iv BLOB NOT NULL,
                           ciphertext BLOB NOT NULL, created_at TEXT NOT NULL, mac BLOB NOT NULL);)",
    // 3: issuance in steps (resumable), the certificates put on each card, holders' e-mail addresses.
    R"(ALTER TABLE holders ADD COLUMN email TEXT NOT NULL DEFAULT '';
       CREATE TABLE issuance_progress (card_id TEXT PRIMARY KEY REFERENCES cards(card_id), step TEXT NOT NULL,
                           updated_at TEXT NOT NULL);
       CREATE TABLE certificates (card_id TEXT NOT NULL REFERENCES cards(card_id), slot INTEGER NOT NULL,
                           der BLOB NOT NULL, not_after TEXT NOT NULL, created_at TEXT NOT NULL,
                           PRIMARY KEY (card_id, slot));)",
    // 4: the operators and their roles (cardctl-operator(1)), each row MAC'd like the cards.
    R"(CREATE TABLE operators (name TEXT PRIMARY KEY, role TEXT NOT NULL, added_at TEXT NOT NULL,
                           added_by TEXT NOT NULL, mac BLOB NOT NULL);)",
    // 5: the replacement PUK of a rotation in progress (cardctl-puc(1), ROTATION), escrowed before the card has it.
    R"(CREATE TABLE escrowed_next_puks (card_id TEXT PRIMARY KEY REFERENCES cards(card_id), iv BLOB NOT NULL,
                           ciphertext BLOB NOT NULL, created_at TEXT NOT NULL, mac BLOB NOT NULL);)",
};

// The PostgreSQL schema at version 5: the tables SQLite reaches through migrations 1 to 5 (BYTEA for BLOB, text
// compared byte by byte as SQLite does), and the audit trail, which a shared installation keeps in the database.
const char* const kPostgresSchema5 =
    R"(CREATE TABLE meta (key TEXT COLLATE "C" PRIMARY KEY, value TEXT NOT NULL);
       CREATE TABLE holders (holder_id TEXT COLLATE "C" PRIMARY KEY, name TEXT NOT NULL, created_at TEXT NOT NULL,
                           email TEXT NOT NULL DEFAULT '');
       CREATE TABLE cards (card_id TEXT COLLATE "C" PRIMARY KEY, holder_id TEXT COLLATE "C" REFERENCES holders(holder_id),
                           template TEXT NOT NULL, algorithm TEXT NOT NULL, key_version BIGINT NOT NULL,
                           state TEXT NOT NULL, issued_at TEXT COLLATE "C" NOT NULL, updated_at TEXT NOT NULL, mac BYTEA);
       CREATE TABLE security_answers (holder_id TEXT COLLATE "C" NOT NULL REFERENCES holders(holder_id),
                           question_id TEXT COLLATE "C" NOT NULL, salt BYTEA NOT NULL, hash BYTEA NOT NULL,
                           n BIGINT NOT NULL, r BIGINT NOT NULL, p BIGINT NOT NULL, mac BYTEA,
                           PRIMARY KEY (holder_id, question_id));
       CREATE TABLE escrowed_puks (card_id TEXT COLLATE "C" PRIMARY KEY REFERENCES cards(card_id), iv BYTEA NOT NULL,
                           ciphertext BYTEA NOT NULL, created_at TEXT NOT NULL, mac BYTEA);
       CREATE TABLE escrowed_first_pins (card_id TEXT COLLATE "C" PRIMARY KEY REFERENCES cards(card_id),
                           iv BYTEA NOT NULL, ciphertext BYTEA NOT NULL, created_at TEXT NOT NULL, mac BYTEA NOT NULL);
       CREATE TABLE issuance_progress (card_id TEXT COLLATE "C" PRIMARY KEY REFERENCES cards(card_id),
                           step TEXT NOT NULL, updated_at TEXT NOT NULL);
       CREATE TABLE certificates (card_id TEXT COLLATE "C" NOT NULL REFERENCES cards(card_id), slot INTEGER NOT NULL,
                           der BYTEA NOT NULL, not_after TEXT NOT NULL, created_at TEXT NOT NULL,
                           PRIMARY KEY (card_id, slot));
       CREATE TABLE operators (name TEXT COLLATE "C" PRIMARY KEY, role TEXT NOT NULL, added_at TEXT NOT NULL,
                           added_by TEXT NOT NULL, mac BYTEA NOT NULL);
       CREATE TABLE escrowed_next_puks (card_id TEXT COLLATE "C" PRIMARY KEY REFERENCES cards(card_id),
                           iv BYTEA NOT NULL, ciphertext BYTEA NOT NULL, created_at TEXT NOT NULL, mac BYTEA NOT NULL);
       CREATE TABLE audit_trail (seq BIGINT PRIMARY KEY CHECK (seq > 0), line TEXT NOT NULL);)";

std::string dec(std::int64_t v) { return std::to_string(v); }

bool transition_allowed(CardState from, CardState to) {
  switch (from) {
    case CardState::pending: return to == CardState::active || to == CardState::retired;
    case CardState::active: return to == CardState::revoked || to == CardState::retired;
    case CardState::revoked: return to == CardState::retired;  // a revoked card that comes back is wiped
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
    "SELECT card_id, coalesce(holder_id, ''), template, algorithm, key_version, state, issued_at, updated_at, mac, "
    "algorithm FROM cards";

const char* const kTampered = "run cardctl audit verify, keep the file as evidence and restore the inventory from your backup";
}  // namespace

struct EscrowTable {
  const char* table;
  const char* label;  // in the MAC, and in messages
};
constexpr EscrowTable kPuks{"escrowed_puks", "PUK"};
constexpr EscrowTable kFirstPins{"escrowed_first_pins", "first PIN"};
constexpr EscrowTable kNextPuks{"escrowed_next_puks", "next PUK"};

bool answer_scrypt_acceptable(const crypto::ScryptParams& p) {
  bool power_of_two = p.n != 0 && (p.n & (p.n - 1)) == 0;
  return power_of_two && p.n >= (1u << 10) && p.n <= (1u << 20) && p.r >= 1 && p.r <= 32 && p.p >= 1 && p.p <= 16;
}

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

bool is_database_url(std::string_view location) {
  return location.substr(0, 13) == "postgresql://" || location.substr(0, 11) == "postgres://";
}

std::string iso8601(std::chrono::system_clock::time_point t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

SecureString normalise_answer(std::string_view answer) {
  SecureString out;
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

Inventory Inventory::open(const std::string& location, InventoryOptions options) {
  phase_time::Scope timed("inventory");
  if (options.mac_key.size() != 32) throw Error(ErrorKind::internal, "the inventory needs a 32-byte MAC key");
  Inventory inv;
  inv.path_ = location;
  inv.options_ = std::move(options);
  if (!inv.options_.clock) inv.options_.clock = [] { return std::chrono::system_clock::now(); };
  const std::string& path = location;
  if (is_database_url(location)) {
    inv.db_ = open_postgres(location, inv.options_.busy_timeout);
  } else {
    bool existed = files::exists(path);
    if (!existed && !inv.options_.create)
      throw Error(ErrorKind::io, "the inventory " + path + " is missing",
                  "restore it from your backup; cardctl does not start a new inventory for an existing installation");
    if (existed) {
      for (const char* suffix : {"", "-wal", "-shm"}) files::require_private(path + suffix, "the inventory");
    } else {
      // Created 0600 before SQLite opens it; SQLite gives the -wal and -shm files the same mode.
      int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
      if (fd < 0) throw Error(ErrorKind::io, "creating the inventory " + path + ": " + std::strerror(errno));
      ::close(fd);
    }
    inv.db_ = open_sqlite(path, inv.options_.busy_timeout);
  }
  const int known = current_schema_version();
  auto too_new = [&](int version) {
    if (version > known)
      throw Error(ErrorKind::io, "the inventory " + path + " has schema version " + std::to_string(version) +
                                     ", newer than this cardctl knows (" + std::to_string(known) + ")",
                  "upgrade cardctl");
  };
  int version = inv.schema_version();
  too_new(version);
  if (version == 0 && !inv.options_.create)
    throw Error(ErrorKind::io, "the inventory " + path + " is empty",
                "restore it from your backup; cardctl does not start a new inventory for an existing installation");
  if (version < known)
    inv.with_transaction([&] {
      const int now_at = inv.schema_version();  // read again under the write lock: another process may have migrated
      too_new(now_at);
      if (now_at < known) inv.migrate(now_at);
    });
  {
    Statement s(*inv.db_, "SELECT value FROM meta WHERE key = 'installation'");
    if (s.step("reading the installation id")) inv.installation_id_ = s.text(0);
  }
  const std::string& expected = inv.options_.installation_id;
  if (inv.installation_id_ != expected)
    throw Error(ErrorKind::io, "the inventory " + path + " belongs to another installation than the keystore",
                "use the keystore and inventory of one installation together (restore the right file from backup, or "
                "give a new installation an empty database)");
  return inv;
}

int Inventory::current_schema_version() { return static_cast<int>(sizeof kMigrations / sizeof kMigrations[0]); }

void Inventory::migrate(int from) {
  const int known = current_schema_version();
  if (db_->dialect() == Dialect::postgres) {
    // PostgreSQL installations start at version 5, the schema SQLite reaches by migrations 1 to 5; later versions
    // will add a migration for each dialect.
    if (from == 0) {
      exec(kPostgresSchema5);
      db_->set_schema_version(5);
    }
  } else {
    for (int v = from; v < known; ++v) {
      exec(kMigrations[v]);
      db_->set_schema_version(v + 1);
    }
  }
  // A new inventory, or one from before installation ids, takes the keystore's (the head's MAC covers it).
  if (!options_.installation_id.empty()) {
    Statement s(*db_, "INSERT INTO meta (key, value) VALUES ('installation', ?) ON CONFLICT (key) DO NOTHING");
    s.bind(1, options_.installation_id).run("recording the installation id");
    Statement r(*db_, "SELECT value FROM meta WHERE key = 'installation'");
    if (r.step("reading the installation id")) installation_id_ = r.text(0);
  }
  if (from >= 1 && db_->dialect() == Dialect::sqlite) seal_unsealed_rows();  // rows before version 2 are trusted once
}

void Inventory::seal_unsealed_rows() {
  {
    Statement s(*db_, kCardColumns);
    while (s.step("migrating the inventory")) {
      Bytes m = card_mac(s.text(0), s.text(1), s.text(2), s.text(3), s.integer(4), s.text(5), s.text(6));
      Statement u(*db_, "UPDATE cards SET mac = ? WHERE card_id = ?");
      u.bind(1, ByteView(m)).bind(2, s.text(0)).run("migrating the inventory");
    }
  }
  {
    Statement s(*db_, "SELECT holder_id, question_id, salt, hash, n, r, p FROM security_answers");
    while (s.step("migrating the inventory")) {
      Bytes m = answer_mac(s.text(0), s.text(1), s.blob(2), s.blob(3), s.integer(4), s.integer(5), s.integer(6));
      Statement u(*db_, "UPDATE security_answers SET mac = ? WHERE holder_id = ? AND question_id = ?");
      u.bind(1, ByteView(m)).bind(2, s.text(0)).bind(3, s.text(1)).run("migrating the inventory");
    }
  }
  {
    Statement s(*db_, "SELECT card_id, iv, ciphertext FROM escrowed_puks");
    while (s.step("migrating the inventory")) {
      Bytes m = escrow_mac(kPuks, s.text(0), s.blob(1), s.blob(2));
      Statement u(*db_, "UPDATE escrowed_puks SET mac = ? WHERE card_id = ?");
      u.bind(1, ByteView(m)).bind(2, s.text(0)).run("migrating the inventory");
    }
  }
  Statement s(*db_, "SELECT value FROM meta WHERE key = 'audit_head'");
  if (s.step("migrating the inventory")) {
    std::string v = s.text(0);
    auto sp = v.find(' ');
    if (sp != std::string::npos) write_audit_head(std::stoull(v.substr(0, sp)), v.substr(sp + 1));
  }
}

namespace {
// HMAC-SHA256 over the fields, each preceded by its length (4 bytes, big-endian), so that no two lists of
// fields give the same input. The input is wiped: it may hold a security answer.
Bytes hmac_fields(ByteView key, std::initializer_list<ByteView> fields) {
  Bytes data;
  for (ByteView f : fields) {
    auto n = static_cast<std::uint32_t>(f.size());
    for (int sh = 24; sh >= 0; sh -= 8) data.push_back(static_cast<std::uint8_t>(n >> sh));
    data.insert(data.end(), f.begin(), f.end());
  }
  Bytes out = crypto::hmac_sha256(key, data);
  secure_wipe(data.data(), data.size());
  return out;
}
}  // namespace

Bytes Inventory::mac(std::initializer_list<ByteView> fields) const { return hmac_fields(options_.mac_key, fields); }

void Inventory::check_mac(ByteView stored, std::initializer_list<ByteView> fields, const std::string& what) const {
  if (stored.empty() || !crypto::equal_ct(stored, mac(fields)))
    throw Error(ErrorKind::io, what + " in the inventory " + path_ + " was changed outside cardctl (its MAC does not match)",
                kTampered);
}

// The MAC of a card row, over the stored text of each column (so an unparseable edit cannot map onto a
// valid value).
Bytes Inventory::card_mac(const std::string& card_id, const std::string& holder, const std::string& tpl,
                          const std::string& algorithm, std::int64_t key_version, const std::string& state,
                          const std::string& issued_at) const {
  return mac({view("card"), view(card_id), view(holder), view(tpl), view(algorithm), view(dec(key_version)),
              view(state), view(issued_at)});
}

Bytes Inventory::answer_mac(const std::string& holder, const std::string& question, ByteView salt, ByteView hash,
                            std::int64_t n, std::int64_t r, std::int64_t p) const {
  return mac({view("answer"), view(holder), view(question), salt, hash, view(dec(n)), view(dec(r)), view(dec(p))});
}

Bytes Inventory::head_mac(std::uint64_t seq, const std::string& hash) const {
  return mac({view("audit_head"), view(installation_id_), view(std::to_string(seq)), view(hash)});
}

// Reads the card at the statement's current row, checking its MAC (columns as in kCardColumns).
CardRecord Inventory::checked_card(const Statement& s) const {
  CardRecord c = card_from(s);
  check_mac(s.blob(8), {view("card"), view(s.text(0)), view(s.text(1)), view(s.text(2)), view(s.text(3)),
                        view(dec(s.integer(4))), view(s.text(5)), view(s.text(6))},
            "the record of card " + c.card_id);
  if (!crypto::admin_algorithm_from_name(s.text(3)) || !card_state_from(s.text(5)))
    throw Error(ErrorKind::io, "the record of card " + c.card_id + " in the inventory " + path_ + " is not valid",
                kTampered);
  return c;
}

Inventory::Inventory(Inventory&&) noexcept = default;
Inventory& Inventory::operator=(Inventory&&) noexcept = default;
Inventory::~Inventory() = default;

void Inventory::exec(const char* sql) { db_->exec(sql, "updating the inventory " + path_); }

int Inventory::schema_version() { return db_->schema_version(); }

void Inventory::with_transaction(const std::function<void()>& fn) {
  if (db_->in_transaction()) {  // already inside one: a savepoint nests
    exec("SAVEPOINT nested");
    try {
      fn();
      exec("RELEASE SAVEPOINT nested");
    } catch (...) {
      try {
        exec("ROLLBACK TO SAVEPOINT nested; RELEASE SAVEPOINT nested");
      } catch (const Error&) {  // the first failure is the one to report
      }
      throw;
    }
    return;
  }
  db_->begin();
  try {
    fn();
    exec("COMMIT");
  } catch (...) {
    try {
      exec("ROLLBACK");
    } catch (const Error&) {
    }
    throw;
  }
}

std::chrono::system_clock::time_point Inventory::now_point() { return options_.clock(); }
std::string Inventory::now() { return iso8601(now_point()); }

void Inventory::add_holder(const Holder& h) {
  if (find_holder(h.holder_id))
    throw Error(ErrorKind::conflict, "holder '" + h.holder_id + "' is already in the inventory");
  Statement s(*db_, "INSERT INTO holders (holder_id, name, created_at, email) VALUES (?, ?, ?, ?)");
  s.bind(1, h.holder_id).bind(2, h.name).bind(3, now()).bind(4, h.email).run("adding holder " + h.holder_id);
}

void Inventory::update_holder(const Holder& h) {
  Statement s(*db_, "UPDATE holders SET name = ?, email = ? WHERE holder_id = ?");
  s.bind(1, h.name).bind(2, h.email).bind(3, h.holder_id).run("updating holder " + h.holder_id);
}

std::optional<Holder> Inventory::find_holder(const std::string& id) {
  Statement s(*db_, "SELECT holder_id, name, email FROM holders WHERE holder_id = ?");
  s.bind(1, id);
  if (!s.step("looking up holder " + id)) return std::nullopt;
  return Holder{s.text(0), s.text(1), s.text(2)};
}

void Inventory::enrol_answers(const std::string& holder_id, const std::vector<std::pair<std::string, SecureString>>& answers) {
  if (!find_holder(holder_id)) throw Error(ErrorKind::not_found, "no holder '" + holder_id + "' in the inventory");
  with_transaction([&] {
    Statement del(*db_, "DELETE FROM security_answers WHERE holder_id = ?");
    del.bind(1, holder_id).run("enrolling answers");
    for (const auto& [question, answer] : answers) {
      SecureString norm = normalise_answer(answer);
      if (norm.empty())
        throw Error(ErrorKind::usage, "the answer to '" + question + "' is empty",
                    "every question needs an answer the holder will remember; choose another question if this one has none");
      store_answer(holder_id, question, norm);
    }
  });
}

// HMAC-SHA256 under a key of its own, derived from the row-MAC key, over the holder, question, salt and answer:
// whoever has the inventory but not the keystore cannot test a guess at all.
Bytes Inventory::keyed_answer_hash(const std::string& holder, const std::string& question, ByteView salt,
                                   const SecureString& normalised) const {
  Bytes key = crypto::hmac_sha256(options_.mac_key, view("cardctl security answer hash key"));
  Bytes out = hmac_fields(key, {view(holder), view(question), salt, view(normalised)});
  secure_wipe(key.data(), key.size());
  return out;
}

// Inserts or replaces one answer row: a keyed hash (N = r = p = 0), or a scrypt hash when the options ask for one.
void Inventory::store_answer(const std::string& holder, const std::string& question, const SecureString& normalised) {
  Bytes salt = crypto::random_bytes(16);
  Bytes hash;
  std::int64_t n = 0, r = 0, p = 0;
  if (const auto& sp = options_.answer_scrypt) {
    SecureBytes h = crypto::scrypt(view(normalised), salt, 32, *sp);
    hash.assign(h.begin(), h.end());
    n = static_cast<std::int64_t>(sp->n), r = static_cast<std::int64_t>(sp->r), p = static_cast<std::int64_t>(sp->p);
  } else {
    hash = keyed_answer_hash(holder, question, salt, normalised);
  }
  Statement ins(*db_, "INSERT INTO security_answers (holder_id, question_id, salt, hash, n, r, p, mac) "
                     "VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (holder_id, question_id) DO UPDATE SET salt = excluded.salt, "
                     "hash = excluded.hash, n = excluded.n, r = excluded.r, p = excluded.p, mac = excluded.mac");
  ins.bind(1, holder).bind(2, question).bind(3, ByteView(salt)).bind(4, ByteView(hash));
  ins.bind(5, n).bind(6, r).bind(7, p).bind(8, ByteView(answer_mac(holder, question, salt, hash, n, r, p)));
  ins.run("storing a security answer");
}

std::vector<std::string> Inventory::enrolled_questions(const std::string& holder_id) {
  Statement s(*db_, "SELECT question_id FROM security_answers WHERE holder_id = ? ORDER BY question_id");
  s.bind(1, holder_id);
  std::vector<std::string> out;
  while (s.step("reading enrolled questions")) out.push_back(s.text(0));
  return out;
}

bool Inventory::verify_answer(const std::string& holder_id, const std::string& question_id, std::string_view answer) {
  phase_time::Scope timed("answers");
  auto stored = answer_params(holder_id, question_id);
  if (!stored) return false;
  SecureString norm = normalise_answer(answer);
  if (!stored->scrypt) return crypto::equal_ct(keyed_answer_hash(holder_id, question_id, stored->salt, norm), stored->hash);
  SecureBytes got = crypto::scrypt(view(norm), stored->salt, 32, *stored->scrypt);
  if (!crypto::equal_ct(got, stored->hash)) return false;
  if (!options_.answer_scrypt) {
    // Enrolled before keyed hashes: stored again as one, now that the answer is known. When the inventory is busy
    // the row stays as it is, still valid, and is migrated on a later use.
    try {
      store_answer(holder_id, question_id, norm);
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::conflict && e.kind() != ErrorKind::io) throw;
    }
  }
  return true;
}

// The stored answer row, MAC and scrypt bounds checked; nullopt when there is none.
std::optional<Inventory::StoredAnswer> Inventory::answer_params(const std::string& holder_id, const std::string& question_id) {
  Statement s(*db_, "SELECT salt, hash, n, r, p, mac FROM security_answers WHERE holder_id = ? AND question_id = ?");
  s.bind(1, holder_id).bind(2, question_id);
  if (!s.step("checking an answer")) return std::nullopt;
  std::string what = "the answer of holder " + holder_id + " to '" + question_id + "'";
  StoredAnswer a{s.blob(0), s.blob(1), {}};
  std::int64_t n = s.integer(2), r = s.integer(3), p = s.integer(4);
  check_mac(s.blob(5), {view("answer"), view(holder_id), view(question_id), a.salt, a.hash, view(dec(n)), view(dec(r)),
                        view(dec(p))},
            what);
  if (n == 0 && r == 0 && p == 0) {  // a keyed hash
    if (a.hash.size() != 32)
      throw Error(ErrorKind::io, what + " in the inventory " + path_ + " is not a keyed hash of 32 bytes", kTampered);
    return a;
  }
  a.scrypt = crypto::ScryptParams{static_cast<std::uint64_t>(n), static_cast<std::uint32_t>(r), static_cast<std::uint32_t>(p)};
  if (n <= 0 || r <= 0 || p <= 0 || r > 1024 || p > 1024 || !answer_scrypt_acceptable(*a.scrypt))
    throw Error(ErrorKind::io, what + " in the inventory " + path_ + " has out-of-bounds scrypt parameters (N=" +
                                   dec(n) + ", r=" + dec(r) + ", p=" + dec(p) + ")",
                kTampered);
  return a;
}

void Inventory::add_card(const CardRecord& c) {
  if (find_card(c.card_id)) throw Error(ErrorKind::conflict, "card " + c.card_id + " is already in the inventory");
  write_card(c, false);
}

void Inventory::reissue_card(const CardRecord& c) {
  auto old = find_card(c.card_id);
  if (old && old->state != CardState::pending && old->state != CardState::retired)
    throw Error(ErrorKind::conflict, "card " + c.card_id + " is " + to_string(old->state) + " and cannot be issued again",
                "retire it first: cardctl retire " + c.card_id);
  with_transaction([&] {
    for (const char* table : {"escrowed_puks", "escrowed_next_puks", "escrowed_first_pins", "issuance_progress",
                              "certificates"}) {
      Statement d(*db_, (std::string("DELETE FROM ") + table + " WHERE card_id = ?").c_str());
      d.bind(1, c.card_id).run("issuing card " + c.card_id + " again");
    }
    write_card(c, old.has_value());
  });
}

void Inventory::write_card(const CardRecord& c, bool replace) {
  std::string t = now();
  std::string issued = c.issued_at.empty() ? t : c.issued_at;
  std::string algorithm(crypto::info(c.algorithm).name), state(to_string(c.state));
  Bytes m = card_mac(c.card_id, c.holder_id, c.template_name, algorithm, c.key_version, state, issued);
  Statement s(*db_, (std::string("INSERT INTO cards (card_id, holder_id, template, algorithm, key_version, state, "
                                 "issued_at, updated_at, mac) VALUES (?, nullif(?, ''), ?, ?, ?, ?, ?, ?, ?)") +
                     (replace ? " ON CONFLICT (card_id) DO UPDATE SET holder_id = excluded.holder_id, template = "
                                "excluded.template, algorithm = excluded.algorithm, key_version = excluded.key_version, "
                                "state = excluded.state, issued_at = excluded.issued_at, updated_at = "
                                "excluded.updated_at, mac = excluded.mac"
                              : ""))
                        .c_str());
  s.bind(1, c.card_id).bind(2, c.holder_id).bind(3, c.template_name).bind(4, algorithm);
  s.bind(5, static_cast<std::int64_t>(c.key_version)).bind(6, state).bind(7, issued).bind(8, t).bind(9, ByteView(m));
  s.run("adding card " + c.card_id);
}

std::optional<CardRecord> Inventory::find_card(const std::string& card_id) {
  Statement s(*db_, (std::string(kCardColumns) + " WHERE card_id = ?").c_str());
  s.bind(1, card_id);
  if (!s.step("looking up card " + card_id)) return std::nullopt;
  return checked_card(s);
}

std::vector<CardRecord> Inventory::list_cards(std::optional<CardState> state) {
  std::string sql = std::string(kCardColumns) + (state ? " WHERE state = ?" : "") + " ORDER BY issued_at, card_id";
  Statement s(*db_, sql.c_str());
  if (state) s.bind(1, std::string(to_string(*state)));
  std::vector<CardRecord> out;
  while (s.step("listing cards")) out.push_back(checked_card(s));
  return out;
}

std::vector<CardRecord> Inventory::cards_of_holder(const std::string& holder_id) {
  Statement s(*db_, (std::string(kCardColumns) + " WHERE holder_id = ? ORDER BY issued_at, card_id").c_str());
  s.bind(1, holder_id);
  std::vector<CardRecord> out;
  while (s.step("listing the cards of holder " + holder_id)) out.push_back(checked_card(s));
  return out;
}

std::vector<CardRecord> Inventory::list_cards_unverified() {
  Statement s(*db_, (std::string(kCardColumns) + " ORDER BY issued_at, card_id").c_str());
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
  Bytes m = card_mac(card->card_id, card->holder_id, card->template_name, crypto::info(card->algorithm).name,
                     card->key_version, to_string(to), card->issued_at);
  Statement s(*db_, "UPDATE cards SET state = ?, updated_at = ?, mac = ? WHERE card_id = ?");
  s.bind(1, std::string(to_string(to))).bind(2, now()).bind(3, ByteView(m)).bind(4, card_id);
  s.run("updating card " + card_id);
}

void Inventory::store_escrowed(const EscrowTable& t, const std::string& card_id, ByteView secret, ByteView escrow_key) {
  Bytes iv = crypto::random_bytes(12);
  std::string aad = t.table == kPuks.table ? card_id : card_id + "/" + t.label;
  Bytes sealed = crypto::aes_gcm_seal(escrow_key, iv, view(aad), secret);
  Statement s(*db_, (std::string("INSERT INTO ") + t.table +
                    " (card_id, iv, ciphertext, created_at, mac) VALUES (?, ?, ?, ?, ?) ON CONFLICT (card_id) DO UPDATE "
                    "SET iv = excluded.iv, ciphertext = excluded.ciphertext, created_at = excluded.created_at, "
                    "mac = excluded.mac").c_str());
  s.bind(1, card_id).bind(2, ByteView(iv)).bind(3, ByteView(sealed)).bind(4, now());
  s.bind(5, ByteView(escrow_mac(t, card_id, iv, sealed))).run(std::string("escrowing the ") + t.label + " of " + card_id);
}

SecureBytes Inventory::load_escrowed(const EscrowTable& t, const std::string& card_id, ByteView escrow_key) {
  Statement s(*db_, (std::string("SELECT iv, ciphertext, mac FROM ") + t.table + " WHERE card_id = ?").c_str());
  s.bind(1, card_id);
  std::string what = std::string("the escrowed ") + t.label + " of card " + card_id;
  if (!s.step("reading " + what)) throw Error(ErrorKind::not_found, std::string("no escrowed ") + t.label + " for card " + card_id);
  check_mac(s.blob(2), {view(t.label), view(card_id), s.blob(0), s.blob(1)}, what);
  std::string aad = t.table == kPuks.table ? card_id : card_id + "/" + t.label;
  try {
    return crypto::aes_gcm_open(escrow_key, s.blob(0), view(aad), s.blob(1));
  } catch (const Error&) {
    throw Error(ErrorKind::io, what + " cannot be decrypted (wrong keystore, or the record was altered)", kTampered);
  }
}

Bytes Inventory::escrow_mac(const EscrowTable& t, const std::string& card_id, ByteView iv, ByteView sealed) const {
  return mac({view(t.label), view(card_id), iv, sealed});
}

void Inventory::store_puk(const std::string& card_id, const Puk& puk, ByteView escrow_key) {
  store_escrowed(kPuks, card_id, puk.bytes(), escrow_key);
}
Puk Inventory::load_puk(const std::string& card_id, ByteView escrow_key) {
  return Puk(load_escrowed(kPuks, card_id, escrow_key));
}
void Inventory::store_next_puk(const std::string& card_id, const Puk& puk, ByteView escrow_key) {
  store_escrowed(kNextPuks, card_id, puk.bytes(), escrow_key);
}
std::optional<Puk> Inventory::load_next_puk(const std::string& card_id, ByteView escrow_key) {
  try {
    return Puk(load_escrowed(kNextPuks, card_id, escrow_key));
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::not_found) return std::nullopt;
    throw;
  }
}
void Inventory::commit_next_puk(const std::string& card_id, ByteView escrow_key) {
  with_transaction([&] {
    auto next = load_next_puk(card_id, escrow_key);
    if (!next) throw Error(ErrorKind::not_found, "no replacement PUK being escrowed for card " + card_id);
    store_puk(card_id, *next, escrow_key);
    Statement s(*db_, "DELETE FROM escrowed_next_puks WHERE card_id = ?");
    s.bind(1, card_id).run("completing the PUK rotation of " + card_id);
  });
}
void Inventory::forget_next_puk(const std::string& card_id) {
  Statement s(*db_, "DELETE FROM escrowed_next_puks WHERE card_id = ?");
  s.bind(1, card_id).run("abandoning the PUK rotation of " + card_id);
}

void Inventory::store_first_pin(const std::string& card_id, const Pin& pin, ByteView escrow_key) {
  store_escrowed(kFirstPins, card_id, pin.bytes(), escrow_key);
}
std::optional<Pin> Inventory::load_first_pin(const std::string& card_id, ByteView escrow_key) {
  try {
    return Pin(load_escrowed(kFirstPins, card_id, escrow_key));
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::not_found) return std::nullopt;
    throw;
  }
}
void Inventory::forget_first_pin(const std::string& card_id) {
  Statement s(*db_, "DELETE FROM escrowed_first_pins WHERE card_id = ?");
  s.bind(1, card_id).run("forgetting the first PIN of " + card_id);
}

void Inventory::set_issuance_step(const std::string& card_id, const std::string& step) {
  Statement s(*db_, "INSERT INTO issuance_progress (card_id, step, updated_at) VALUES (?, ?, ?) "
                   "ON CONFLICT (card_id) DO UPDATE SET step = excluded.step, updated_at = excluded.updated_at");
  s.bind(1, card_id).bind(2, step).bind(3, now()).run("recording the issuance of " + card_id);
}

std::string Inventory::issuance_step(const std::string& card_id) {
  Statement s(*db_, "SELECT step FROM issuance_progress WHERE card_id = ?");
  s.bind(1, card_id);
  return s.step("reading the issuance of " + card_id) ? s.text(0) : std::string();
}

void Inventory::store_certificate(const std::string& card_id, std::uint8_t slot, ByteView der,
                                  const std::string& not_after) {
  Statement s(*db_, "INSERT INTO certificates (card_id, slot, der, not_after, created_at) VALUES (?,?,?,?,?) "
                   "ON CONFLICT (card_id, slot) DO UPDATE SET der = excluded.der, not_after = excluded.not_after, "
                   "created_at = excluded.created_at");
  s.bind(1, card_id).bind(2, static_cast<std::int64_t>(slot)).bind(3, der).bind(4, not_after).bind(5, now());
  s.run("recording a certificate of " + card_id);
}

std::vector<StoredCertificate> Inventory::certificates(const std::string& card_id) {
  Statement s(*db_, "SELECT slot, der, not_after FROM certificates WHERE card_id = ? ORDER BY slot");
  s.bind(1, card_id);
  std::vector<StoredCertificate> out;
  while (s.step("reading the certificates of " + card_id))
    out.push_back({static_cast<std::uint8_t>(s.integer(0)), s.blob(1), s.text(2)});
  return out;
}

Bytes Inventory::operator_mac(const Operator& o) const {
  return mac({view("operator"), view(installation_id_), view(o.name), view(o.role), view(o.added_at), view(o.added_by)});
}

void Inventory::add_operator(Operator o) {
  if (find_operator(o.name))
    throw Error(ErrorKind::conflict, "operator '" + o.name + "' is registered already",
                "remove the operator first to change the role: cardctl operator remove " + o.name);
  if (o.added_at.empty()) o.added_at = now();
  Statement s(*db_, "INSERT INTO operators (name, role, added_at, added_by, mac) VALUES (?, ?, ?, ?, ?)");
  s.bind(1, o.name).bind(2, o.role).bind(3, o.added_at).bind(4, o.added_by).bind(5, ByteView(operator_mac(o)));
  s.run("registering operator " + o.name);
}

void Inventory::remove_operator(const std::string& name) {
  if (!find_operator(name))
    throw Error(ErrorKind::not_found, "no operator '" + name + "' is registered", "cardctl operator list shows them");
  Statement s(*db_, "DELETE FROM operators WHERE name = ?");
  s.bind(1, name).run("removing operator " + name);
}

std::optional<Operator> Inventory::find_operator(const std::string& name) {
  Statement s(*db_, "SELECT name, role, added_at, added_by, mac FROM operators WHERE name = ?");
  s.bind(1, name);
  if (!s.step("looking up operator " + name)) return std::nullopt;
  Operator o{s.text(0), s.text(1), s.text(2), s.text(3)};
  check_mac(s.blob(4), {view("operator"), view(installation_id_), view(o.name), view(o.role), view(o.added_at), view(o.added_by)},
            "the record of operator " + name);
  return o;
}

int Inventory::operator_count() {
  Statement s(*db_, "SELECT count(*) FROM operators");
  s.step("counting operators");
  return static_cast<int>(s.integer(0));
}

std::vector<Operator> Inventory::list_operators() {
  std::vector<std::string> names;
  {
    Statement s(*db_, "SELECT name FROM operators ORDER BY name");
    while (s.step("listing operators")) names.push_back(s.text(0));
  }
  std::vector<Operator> out;
  for (const auto& n : names) out.push_back(*find_operator(n));
  return out;
}

void Inventory::write_audit_head(std::uint64_t seq, const std::string& hash) {
  Statement s(*db_, "INSERT INTO meta (key, value) VALUES ('audit_head', ?) "
                   "ON CONFLICT (key) DO UPDATE SET value = excluded.value");
  s.bind(1, std::to_string(seq) + " " + hash + " " + to_hex(head_mac(seq, hash))).run("recording the audit head");
}

void Inventory::set_audit_head(std::uint64_t seq, const std::string& hash) {
  // Two operators may append at once; the head only moves forward.
  with_transaction([&] {
    auto current = audit_head();
    if (current && current->first >= seq) return;
    write_audit_head(seq, hash);
  });
}

std::optional<std::pair<std::uint64_t, std::string>> Inventory::audit_head() {
  Statement s(*db_, "SELECT value FROM meta WHERE key = 'audit_head'");
  if (!s.step("reading the audit head")) return std::nullopt;
  std::string v = s.text(0);
  auto sp1 = v.find(' ');
  auto sp2 = sp1 == std::string::npos ? sp1 : v.find(' ', sp1 + 1);
  std::optional<std::pair<std::uint64_t, std::string>> head;
  if (sp2 != std::string::npos && v.find_first_not_of("0123456789") == sp1 && sp1 > 0 && sp1 <= 19) {
    head = std::make_pair(std::stoull(v.substr(0, sp1)), v.substr(sp1 + 1, sp2 - sp1 - 1));
    Bytes stored;
    try {
      stored = from_hex(std::string_view(v).substr(sp2 + 1));
    } catch (const Error&) {
    }
    check_mac(stored, {view("audit_head"), view(installation_id_), view(std::to_string(head->first)), view(head->second)},
              "the audit trail's head");
    return head;
  }
  throw Error(ErrorKind::io, "the audit trail's head in the inventory " + path_ + " is not valid", kTampered);
}

bool Inventory::holds_audit_trail() const { return db_->dialect() == Dialect::postgres; }

std::vector<std::string> Inventory::audit_lines() {
  std::vector<std::string> out;
  Statement s(*db_, "SELECT seq, line FROM audit_trail ORDER BY seq");
  while (s.step("reading the audit trail")) out.push_back(s.text(1));
  return out;
}

std::string Inventory::last_audit_line() {
  Statement s(*db_, "SELECT line FROM audit_trail ORDER BY seq DESC LIMIT 1");
  return s.step("reading the audit trail") ? s.text(0) : std::string();
}

void Inventory::add_audit_line(std::uint64_t seq, const std::string& line) {
  if (!db_->in_transaction()) throw Error(ErrorKind::internal, "an audit entry is added inside a transaction");
  Statement s(*db_, "INSERT INTO audit_trail (seq, line) VALUES (?, ?)");
  s.bind(1, static_cast<std::int64_t>(seq)).bind(2, line).run("writing the audit trail");
}

namespace {
// The tables a copy moves, parents first, each column as t (text), n (text, NULL when empty), i (integer), b (blob).
struct CopiedTable {
  const char* name;
  const char* columns;
  const char* kinds;
};
constexpr CopiedTable kCopiedTables[] = {
    {"holders", "holder_id, name, created_at, email", "tttt"},
    {"cards", "card_id, holder_id, template, algorithm, key_version, state, issued_at, updated_at, mac", "tnttitttb"},
    {"security_answers", "holder_id, question_id, salt, hash, n, r, p, mac", "ttbbiiib"},
    {"escrowed_puks", "card_id, iv, ciphertext, created_at, mac", "tbbtb"},
    {"escrowed_first_pins", "card_id, iv, ciphertext, created_at, mac", "tbbtb"},
    {"escrowed_next_puks", "card_id, iv, ciphertext, created_at, mac", "tbbtb"},
    {"issuance_progress", "card_id, step, updated_at", "ttt"},
    {"certificates", "card_id, slot, der, not_after, created_at", "tibtt"},
    {"operators", "name, role, added_at, added_by, mac", "ttttb"},
};
}  // namespace

std::size_t Inventory::copy_rows_into(Inventory& to) {
  if (to.installation_id_ != installation_id_)
    throw Error(ErrorKind::internal, "rows are copied between inventories of one installation only");
  std::size_t rows = 0;
  for (const auto& t : kCopiedTables) {
    const std::string kinds = t.kinds;
    std::string marks;
    for (char k : kinds) marks += std::string(marks.empty() ? "" : ", ") + (k == 'n' ? "nullif(?, '')" : "?");
    Statement from(*db_, (std::string("SELECT ") + t.columns + " FROM " + t.name).c_str());
    const std::string insert = std::string("INSERT INTO ") + t.name + " (" + t.columns + ") VALUES (" + marks + ")";
    while (from.step(std::string("reading ") + t.name)) {
      Statement ins(*to.db_, insert.c_str());
      for (std::size_t c = 0; c < kinds.size(); ++c) {
        const int col = static_cast<int>(c);
        if (kinds[c] == 'i') {
          ins.bind(col + 1, from.integer(col));
        } else if (kinds[c] == 'b') {
          Bytes b = from.blob(col);
          ins.bind(col + 1, ByteView(b));
        } else {
          ins.bind(col + 1, from.text(col));
        }
      }
      ins.run(std::string("copying ") + t.name);
      ++rows;
    }
  }
  Statement head(*db_, "SELECT value FROM meta WHERE key = 'audit_head'");
  if (head.step("reading the audit head")) {
    Statement ins(*to.db_, "INSERT INTO meta (key, value) VALUES ('audit_head', ?) "
                           "ON CONFLICT (key) DO UPDATE SET value = excluded.value");
    ins.bind(1, head.text(0)).run("copying the audit head");
  }
  return rows;
}

bool Inventory::holds_installation_data() {
  for (const char* table : {"holders", "cards", "operators"}) {
    Statement s(*db_, (std::string("SELECT count(*) FROM ") + table).c_str());
    if (s.step("reading the inventory") && s.integer(0) > 0) return true;
  }
  Statement s(*db_, "SELECT count(*) FROM meta WHERE key = 'audit_head'");
  return s.step("reading the inventory") && s.integer(0) > 0;
}

std::vector<std::string> Inventory::check_rows() {
  std::vector<std::string> problems;
  auto collect = [&](const std::function<void()>& fn) {
    try {
      fn();
    } catch (const Error& e) {
      problems.push_back(e.what());
    }
  };
  {
    Statement s(*db_, kCardColumns);
    while (s.step("checking the inventory")) collect([&] { checked_card(s); });
  }
  {
    Statement s(*db_, "SELECT holder_id, question_id FROM security_answers");
    while (s.step("checking the inventory")) {
      std::string holder = s.text(0), question = s.text(1);
      collect([&] { answer_params(holder, question); });
    }
  }
  for (const EscrowTable* t : {&kPuks, &kFirstPins, &kNextPuks}) {
    Statement s(*db_, (std::string("SELECT card_id, iv, ciphertext, mac FROM ") + t->table).c_str());
    while (s.step("checking the inventory"))
      collect([&] {
        check_mac(s.blob(3), {view(t->label), view(s.text(0)), s.blob(1), s.blob(2)},
                  std::string("the escrowed ") + t->label + " of card " + s.text(0));
      });
  }
  {
    Statement s(*db_, "SELECT name FROM operators");
    while (s.step("checking the inventory")) {
      std::string name = s.text(0);
      collect([&] { find_operator(name); });
    }
  }
  collect([&] { audit_head(); });
  return problems;
}

}  // namespace cardctl::store
