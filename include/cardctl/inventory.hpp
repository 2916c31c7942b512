// Layer 8: the inventory (DESIGN.md §6): cards, holders, security answers (scrypt hashes of normalised answers),
// escrowed PUKs (AES-256-GCM, card id as associated data), offline-unblock and identification-failure counts,
// and the audit trail's head. SQLite in WAL mode with a busy timeout; schema versioned with migrations.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cardctl/crypto.hpp"
#include "cardctl/secret.hpp"

struct sqlite3;

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
};

/// "now" as UTC ISO-8601 seconds; injectable for tests.
using Clock = std::function<std::chrono::system_clock::time_point()>;
std::string iso8601(std::chrono::system_clock::time_point t);

/// Normalises a spoken answer: ASCII case folded, punctuation dropped, whitespace collapsed and trimmed.
std::string normalise_answer(std::string_view answer);

struct InventoryOptions {
  std::chrono::milliseconds busy_timeout{5000};
  Clock clock;
  crypto::ScryptParams answer_scrypt{1u << 14, 8, 1};
};

class Inventory {
 public:
  /// Opens (creating when missing) and migrates to the current schema. Error(io) when the file is not a
  /// database; Error(conflict) when it is locked beyond the busy timeout; a schema newer than this build knows
  /// is refused.
  static Inventory open(const std::string& path, InventoryOptions options = {});
  Inventory(Inventory&&) noexcept;
  Inventory& operator=(Inventory&&) noexcept;
  ~Inventory();

  static constexpr int kSchemaVersion = 1;
  int schema_version();

  /// Runs fn in BEGIN IMMEDIATE ... COMMIT (ROLLBACK on exception).
  void with_transaction(const std::function<void()>& fn);

  void add_holder(const Holder& h);
  std::optional<Holder> find_holder(const std::string& holder_id);
  /// Replaces the holder's answers (question id -> answer), stored as scrypt hashes.
  void enrol_answers(const std::string& holder_id, const std::vector<std::pair<std::string, std::string>>& answers);
  std::vector<std::string> enrolled_questions(const std::string& holder_id);
  bool verify_answer(const std::string& holder_id, const std::string& question_id, std::string_view answer);

  void add_card(const CardRecord& c);
  std::optional<CardRecord> find_card(const std::string& card_id);
  std::vector<CardRecord> list_cards(std::optional<CardState> state = std::nullopt);
  /// Enforces pending -> active -> revoked | retired (and pending -> retired).
  void set_card_state(const std::string& card_id, CardState to);

  void store_puk(const std::string& card_id, const Puk& puk, ByteView escrow_key);
  Puk load_puk(const std::string& card_id, ByteView escrow_key);

  void record_offline_unblock(const std::string& card_id, const std::string& operator_name);
  int count_offline_unblocks(const std::string& card_id, std::chrono::system_clock::time_point since);
  void record_identification_failure(const std::string& holder_id);
  int count_identification_failures(const std::string& holder_id, std::chrono::system_clock::time_point since);
  void clear_identification_failures(const std::string& holder_id);

  /// The audit trail's last (seq, hash), kept here so that deleting its tail is detected.
  void set_audit_head(std::uint64_t seq, const std::string& hash);
  std::optional<std::pair<std::uint64_t, std::string>> audit_head();

  std::string now();
  std::chrono::system_clock::time_point now_point();

 private:
  Inventory() = default;
  void exec(const char* sql);
  sqlite3* db_ = nullptr;
  std::string path_;
  InventoryOptions options_;
};

}  // namespace cardctl::store
