// Layer 9: batch issuance (cardctl-issue(1), BATCH): one worker per reader, each card that appears in a free
// reader takes the next holder of the list (hot-plug), a half-issued card is finished for the holder it was
// started for, and a holder is issued exactly once, also when two batches run at once on the same list (the
// inventory's reservation decides). SIGINT: the cards in progress are finished, no new one is started.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "cardctl/batch.hpp"
#include "cardctl/channel.hpp"
#include "cardctl/issue.hpp"

namespace cardctl::lifecycle {

enum class BatchResult {
  queued,          // not reached (no card came for it)
  issued,          // by this run
  already_issued,  // the holder had an active card before this run (or another batch issued it)
  pending,         // a card was started for the holder and not finished (card_id says which)
  failed,          // an error that a new card will not fix
};
const char* to_string(BatchResult r);

struct BatchOutcome {
  BatchRow row;
  BatchResult result = BatchResult::queued;
  std::string card_id;
  std::string reader;
  std::string error;
  std::optional<Pin> first_pin;  // issued by this run, not chosen
  std::vector<IssuedSlot> slots;
};

struct BatchEvent {
  enum class Kind { card_started, card_done, card_failed, card_skipped } kind;
  std::string reader;
  std::string card_id;
  std::string holder_id;
  std::string message;
};

struct BatchOptions {
  /// "sim:PATH" readers (one card each, processed once), or patterns over the PC/SC readers (every reader when
  /// empty); a row's own reader pattern further limits where it goes.
  std::vector<std::string> readers;
  std::function<CertificateSource(const policy::CardTemplate&)> certificates;
  std::string operator_name;
  const std::atomic<bool>* stop = nullptr;  // set by SIGINT
  std::function<void(const BatchEvent&)> on_event;  // called from the workers, one at a time
  std::chrono::milliseconds poll{200};
  TraceSink trace;
};

struct BatchReport {
  std::vector<BatchOutcome> holders;  // in file order
  bool interrupted = false;
  int count(BatchResult r) const;
  /// Holders who have no card yet: neither issued by this run nor before it.
  int unfinished() const;
};

BatchReport run_batch(Site& site, const BatchFile& file, const BatchOptions& options);

}  // namespace cardctl::lifecycle
