// Layer 8: the inventory (docs/architecture.md#inventory): cards, holders, security answers (keyed hashes of
// normalised answers, under a key from the keystore), escrowed PUKs (AES-256-GCM, card id as associated data), the installation id and the audit
// trail's head. SQLite in WAL mode with a busy timeout; schema versioned with migrations. Every security-relevant row
// (card, answer, escrowed PUK, audit head) carries an HMAC under a key from the keystore, checked whenever the row is
// read, so an edit made outside cardctl is refused and reported by `cardctl audit verify`. Offline-unblock
// counts and identification failures are not kept here: they are read from the verified audit trail.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cardctl/crypto.hpp"
#include "cardctl/secret.hpp"

namespace cardctl::store {
class Database;
class Statement;
struct EscrowTable;
}

namespace cardctl::store {

enum class CardState { pending, active, revoked, retired };
const char* to_string(CardState s);
std::optional<CardState> card_state_from(std::string_view s);

struct CardRecord {
  std::string card_id;
  std::string holder_id;
  std::string template_name;
  crypto::AdminAlgorithm algorithm = crypto::AdminAlgorithm::aes192;
  std::uint32_t key_version = 1;
  CardState state = CardState::pending;
  std::string issued_at;
  std::string updated_at;
};

struct Holder {
  std::string holder_id;
  std::string name;
  std::string email = {};  // may be empty
};

/// A certificate cardctl put on a card (public data, so not MAC'd: the card holds the authoritative copy).
struct StoredCertificate {
  std::uint8_t slot = 0;
  Bytes der;
  std::string not_after;  // ISO-8601 UTC
};

/// An operator of the installation and the role the policy gives commands to (cardctl-operator(1)).
struct Operator {
  std::string name;
  std::string role;
  std::string added_at;
  std::string added_by;
};

/// "now" as UTC ISO-8601 seconds; injectable for tests.
using Clock = std::function<std::chrono::system_clock::time_point()>;
std::string iso8601(std::chrono::system_clock::time_point t);

/// Whether an inventory location is a PostgreSQL URL (postgresql:// or postgres://) rather than an SQLite file.
bool is_database_url(std::string_view location);

/// Normalises a spoken answer: ASCII case folded, punctuation dropped, whitespace collapsed and trimmed.
SecureString normalise_answer(std::string_view answer);

struct InventoryOptions {
  std::chrono::milliseconds busy_timeout{5000};
  Clock clock;
  /// nullopt (always, but in tests): answers are enrolled as keyed hashes (HMAC-SHA256 under a key derived from
  /// mac_key), which cost microseconds and cannot be guessed from the inventory alone. Set: enrolled as scrypt
  /// hashes with these costs, as installations before keyed hashes did (tests of the migration).
  std::optional<crypto::ScryptParams> answer_scrypt;
  /// The key of the row MACs (32 bytes; the site passes the keystore's audit key). Required.
  SecureBytes mac_key;
  /// Create the file when it is missing (cardctl init only). Otherwise a missing or empty inventory is an error:
  /// an installation never silently starts again from nothing.
  bool create = false;
  /// The installation id to record (create) or to expect (open); empty: not checked.
  std::string installation_id;
};

/// Bounds on the scrypt cost read from a stored answer row, so that an edited row cannot make a check fail
/// obscurely or take minutes: N a power of two in [2^10, 2^20], r in [1, 32], p in [1, 16].
bool answer_scrypt_acceptable(const crypto::ScryptParams& p);

class Inventory {
 public:
  /// Opens (creating it only with options.create) and migrates to the current schema. location: an SQLite file,
  /// or a postgresql:// URL (docs/architecture.md#several-workstations). Error(io) when the file is not a
  /// database, is missing or empty, is open to other users, or belongs to another installation, or the server
  /// cannot be reached; Error(conflict) when it is locked beyond the busy timeout; a schema newer than this build
  /// knows is refused.
  static Inventory open(const std::string& location, InventoryOptions options = {});
  Inventory(Inventory&&) noexcept;
  Inventory& operator=(Inventory&&) noexcept;
  ~Inventory();

  static int current_schema_version();
  int schema_version();
  /// The file's path or the database's URL.
  const std::string& location() const { return path_; }

  /// Runs fn in one write transaction (ROLLBACK on exception): BEGIN IMMEDIATE on SQLite, an advisory lock on
  /// PostgreSQL, so writers on every workstation run one at a time. Writers queue for up to the busy timeout.
  void with_transaction(const std::function<void()>& fn);
  /// The same, returning what fn returns.
  template <class F>
  auto with_transaction_result(F&& fn) -> decltype(fn()) {
    std::optional<decltype(fn())> out;
    with_transaction([&] { out.emplace(fn()); });
    return std::move(*out);
  }

  void add_holder(const Holder& h);
  std::optional<Holder> find_holder(const std::string& holder_id);
  void update_holder(const Holder& h);  // name and e-mail
  /// Replaces the holder's answers (question id -> answer), stored as keyed hashes.
  void enrol_answers(const std::string& holder_id, const std::vector<std::pair<std::string, SecureString>>& answers);
  std::vector<std::string> enrolled_questions(const std::string& holder_id);
  /// Whether answer is the enrolled one. An answer still stored as a scrypt hash (enrolled before keyed hashes) is
  /// checked with scrypt and, when right, stored again as a keyed hash.
  bool verify_answer(const std::string& holder_id, const std::string& question_id, std::string_view answer);

  void add_card(const CardRecord& c);
  /// Replaces the row of a pending or retired card (issuing it again), dropping its escrowed secrets, progress and
  /// certificates; adds it when absent. Error(conflict) for an active or revoked card.
  void reissue_card(const CardRecord& c);
  std::optional<CardRecord> find_card(const std::string& card_id);
  std::vector<CardRecord> list_cards(std::optional<CardState> state = std::nullopt);
  std::vector<CardRecord> cards_of_holder(const std::string& holder_id);
  /// Every card row as stored, MACs not checked (check_rows() reports those), for cross-checks.
  std::vector<CardRecord> list_cards_unverified();
  /// Enforces pending -> active -> revoked | retired, pending -> retired and revoked -> retired.
  void set_card_state(const std::string& card_id, CardState to);

  void store_puk(const std::string& card_id, const Puk& puk, ByteView escrow_key);
  Puk load_puk(const std::string& card_id, ByteView escrow_key);
  /// A PUK rotation (cardctl-puc(1)): the replacement is escrowed before the card is changed, and becomes the
  /// escrowed PUK (commit, one transaction) once the card has it; a rotation cut off in between leaves both.
  void store_next_puk(const std::string& card_id, const Puk& puk, ByteView escrow_key);
  std::optional<Puk> load_next_puk(const std::string& card_id, ByteView escrow_key);
  void commit_next_puk(const std::string& card_id, ByteView escrow_key);
  void forget_next_puk(const std::string& card_id);
  /// The random first PIN of a card being issued, escrowed until it was shown (AES-256-GCM, like the PUK).
  void store_first_pin(const std::string& card_id, const Pin& pin, ByteView escrow_key);
  std::optional<Pin> load_first_pin(const std::string& card_id, ByteView escrow_key);
  void forget_first_pin(const std::string& card_id);

  /// How far the issuance of a pending card got (cardctl-issue(1), RESUMING); "" when not recorded.
  void set_issuance_step(const std::string& card_id, const std::string& step);
  std::string issuance_step(const std::string& card_id);
  void store_certificate(const std::string& card_id, std::uint8_t slot, ByteView der, const std::string& not_after);
  std::vector<StoredCertificate> certificates(const std::string& card_id);

  /// Operators: their rows are MAC'd, so an operator added by editing the file is refused when read.
  void add_operator(Operator o);
  void remove_operator(const std::string& name);
  std::optional<Operator> find_operator(const std::string& name);
  std::vector<Operator> list_operators();
  int operator_count();  // rows, MACs not checked

  /// The audit trail's last (seq, hash), kept here (with its MAC) so that deleting its tail is detected.
  void set_audit_head(std::uint64_t seq, const std::string& hash);
  std::optional<std::pair<std::uint64_t, std::string>> audit_head();

  const std::string& installation_id() const { return installation_id_; }

  /// Whether the audit trail is kept in this database (PostgreSQL: one trail for every workstation) rather than
  /// in a file beside it. Then its lines are read and appended here, inside with_transaction.
  bool holds_audit_trail() const;
  std::vector<std::string> audit_lines();
  std::string last_audit_line();  // "" for an empty trail
  void add_audit_line(std::uint64_t seq, const std::string& line);

  /// Copies every row (MACs as they are: they do not depend on where a row is kept) and the audit head into `to`,
  /// an inventory of the same installation, inside the caller's transactions (cardctl-site(1), migrate). Returns
  /// the number of rows.
  std::size_t copy_rows_into(Inventory& to);
  /// Whether any holder, card, operator or audit head is recorded (a migration's target must hold none).
  bool holds_installation_data();

  /// Every row whose MAC does not match, as "card 12345678: ..." lines (for `cardctl audit verify`).
  std::vector<std::string> check_rows();

  std::string now();
  std::chrono::system_clock::time_point now_point();

 private:
  Inventory() = default;
  void exec(const char* sql);
  void write_card(const CardRecord& c, bool replace);
  void migrate(int from);
  void seal_unsealed_rows();
  struct StoredAnswer {
    Bytes salt, hash;
    std::optional<crypto::ScryptParams> scrypt;  // nullopt: a keyed hash (stored with N = r = p = 0)
  };
  Bytes keyed_answer_hash(const std::string& holder, const std::string& question, ByteView salt,
                          const SecureString& normalised) const;
  void store_answer(const std::string& holder, const std::string& question, const SecureString& normalised);
  std::optional<StoredAnswer> answer_params(const std::string& holder_id, const std::string& question_id);
  CardRecord checked_card(const Statement& s) const;
  Bytes card_mac(const std::string& card_id, const std::string& holder, const std::string& tpl,
                 const std::string& algorithm, std::int64_t key_version, const std::string& state,
                 const std::string& issued_at) const;
  Bytes answer_mac(const std::string& holder, const std::string& question, ByteView salt, ByteView hash,
                   std::int64_t n, std::int64_t r, std::int64_t p) const;
  void store_escrowed(const EscrowTable& t, const std::string& card_id, ByteView secret, ByteView escrow_key);
  SecureBytes load_escrowed(const EscrowTable& t, const std::string& card_id, ByteView escrow_key);
  Bytes escrow_mac(const EscrowTable& t, const std::string& card_id, ByteView iv, ByteView sealed) const;
  Bytes head_mac(std::uint64_t seq, const std::string& hash) const;
  Bytes operator_mac(const Operator& o) const;
  void write_audit_head(std::uint64_t seq, const std::string& hash);
  Bytes mac(std::initializer_list<ByteView> fields) const;
  void check_mac(ByteView stored, std::initializer_list<ByteView> fields, const std::string& what) const;
  std::unique_ptr<Database> db_;
  std::string installation_id_;
  std::string path_;
  InventoryOptions options_;
};

}  // namespace cardctl::store
