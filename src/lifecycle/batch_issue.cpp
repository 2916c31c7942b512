#include "cardctl/batch_issue.hpp"

#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "cardctl/card_survey.hpp"
#include "cardctl/error.hpp"
#include "cardctl/pcsc.hpp"
#include "cardctl/transport.hpp"

namespace cardctl::lifecycle {

const char* to_string(BatchResult r) {
  switch (r) {
    case BatchResult::queued: return "not-reached";
    case BatchResult::issued: return "issued";
    case BatchResult::already_issued: return "already-issued";
    case BatchResult::pending: return "pending";
    case BatchResult::failed: return "failed";
  }
  return "not-reached";
}

int BatchReport::count(BatchResult r) const {
  int n = 0;
  for (const auto& h : holders) n += h.result == r;
  return n;
}

int BatchReport::unfinished() const {
  return static_cast<int>(holders.size()) - count(BatchResult::issued) - count(BatchResult::already_issued);
}

namespace {

constexpr int kAttemptsPerHolder = 2;  // a holder whose issuance failed on two cards is reported failed

constexpr int kTransientRetries = 5;  // a card busy in another program, or a failed transaction, is tried again
constexpr auto kRetryDelay = std::chrono::seconds(1);

struct Reader {
  std::string name;   // PC/SC name, or the sim: spec
  bool sim = false;
  bool busy = false;
  bool handled = false;  // the card now in it has been dealt with; cleared when it is taken out or swapped
  std::uint32_t events = 0;          // the reader's card event count at the last look
  std::uint32_t handled_events = 0;  // ... when the card that was dealt with was taken up
  int transient_failures = 0;
  std::chrono::steady_clock::time_point retry_at{};
};

class Batch {
 public:
  Batch(Site& site, const BatchFile& file, const BatchOptions& options) : site_(site), options_(options) {
    for (const auto& row : file.rows) report_.holders.push_back({row, BatchResult::queued, "", "", "", std::nullopt, {}});
    attempts_.assign(report_.holders.size(), 0);
    claimed_.assign(report_.holders.size(), false);
  }

  BatchReport run() {
    bool sim = !options_.readers.empty() && transport::is_sim_spec(options_.readers.front());
    if (sim)
      for (const auto& spec : options_.readers) {
        if (!transport::is_sim_spec(spec))
          throw Error(ErrorKind::usage, "--readers mixes sim: cards and PC/SC readers", "use one kind per batch");
        readers_[spec] = {spec, true, false, false, 0, 0, 0, {}};
      }
    std::vector<std::thread> workers;
    // An error that ends the loop (pcscd gone) still waits for the cards in progress: a running std::thread
    // must not be destroyed, and a card is not left half-written.
    struct JoinAll {
      std::vector<std::thread>& threads;
      ~JoinAll() {
        for (auto& t : threads)
          if (t.joinable()) t.join();
      }
    } join_all{workers};
    for (;;) {
      std::unique_lock lock(mutex_);
      bool stopping = options_.stop != nullptr && options_.stop->load();
      if (stopping) report_.interrupted = true;
      if (!stopping && !sim) refresh_pcsc_readers(lock);
      bool any_busy = false;
      for (auto& [name, r] : readers_) {
        any_busy = any_busy || r.busy;
        if (stopping || r.busy || r.handled || (!present_.count(name) && !r.sim)) continue;
        if (std::chrono::steady_clock::now() < r.retry_at) continue;
        if (!work_left()) continue;
        r.busy = true;
        r.handled_events = r.events;
        any_busy = true;
        workers.emplace_back([this, name = name] { work(name); });
      }
      bool sims_spent = sim && std::all_of(readers_.begin(), readers_.end(), [](auto& kv) { return kv.second.handled; });
      if (!any_busy && (stopping || !work_left() || sims_spent)) break;
      if (sim || stopping) {
        changed_.wait_for(lock, options_.poll);
      } else {  // woken by a card put in or taken out as soon as pcscd sees it, by a worker at the next poll
        lock.unlock();
        transport::pcsc_readers().wait_for_change(options_.poll);
        lock.lock();
      }
    }
    for (auto& t : workers) t.join();
    return std::move(report_);
  }

 private:
  // Caller holds mutex_.
  bool work_left() const {
    for (std::size_t i = 0; i < report_.holders.size(); ++i)
      if (report_.holders[i].result == BatchResult::queued && !claimed_[i]) return true;
    return false;
  }

  void refresh_pcsc_readers(std::unique_lock<std::mutex>& lock) {
    lock.unlock();
    std::vector<transport::ReaderInfo> list;
    try {
      list = transport::pcsc_readers().list_readers();
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::not_found) {
        lock.lock();
        throw;
      }
    }
    lock.lock();
    present_.clear();
    for (const auto& info : list) {
      if (!selected(info.name)) continue;
      auto& r = readers_[info.name];
      r.name = info.name;
      r.events = info.events;
      if (info.card_present) {
        present_.insert({info.name, true});
        if (r.handled && !r.busy && info.events != r.handled_events) {  // taken out and another put in between looks
          r.handled = false;
          r.transient_failures = 0;
        }
      } else {
        r.handled = false;  // the card was taken out: the next one is new
        r.transient_failures = 0;
      }
    }
  }

  bool selected(const std::string& name) const {
    if (options_.readers.empty()) return true;
    for (const auto& p : options_.readers)
      if (!transport::match_readers({{name, true, {}}}, p).empty()) return true;
    return false;
  }

  bool row_fits_reader(const BatchRow& row, const std::string& reader) const {
    if (row.reader.empty()) return true;
    if (transport::is_sim_spec(reader)) return row.reader == reader;
    return !transport::match_readers({{reader, true, {}}}, row.reader).empty();
  }

  void event(BatchEvent::Kind kind, const std::string& reader, const std::string& card, const std::string& holder,
             const std::string& message) {
    std::lock_guard lock(event_mutex_);
    if (options_.on_event) options_.on_event({kind, reader, card, holder, message});
  }

  // The next queued holder this reader may take, claimed in this process; -1 when none.
  int claim(const std::string& reader) {
    std::lock_guard lock(mutex_);
    for (std::size_t i = 0; i < report_.holders.size(); ++i) {
      auto& h = report_.holders[i];
      if (h.result != BatchResult::queued || claimed_[i] || !row_fits_reader(h.row, reader)) continue;
      claimed_[i] = true;
      return static_cast<int>(i);
    }
    return -1;
  }

  int row_of_holder(const std::string& holder_id) {
    for (std::size_t i = 0; i < report_.holders.size(); ++i)
      if (report_.holders[i].row.holder_id == holder_id) return static_cast<int>(i);
    return -1;
  }

  void settle(int i, BatchResult result, const std::string& card, const std::string& reader, const std::string& error) {
    std::lock_guard lock(mutex_);
    auto& h = report_.holders[static_cast<std::size_t>(i)];
    h.result = result;
    h.card_id = card;
    h.reader = reader;
    h.error = error;
    claimed_[static_cast<std::size_t>(i)] = false;
  }

  // transient: the card could not be reached for a moment (in use by another program, a transaction cut by a
  // dying process); it is tried again a few times before the reader waits for the next card.
  void finish_reader(const std::string& reader, bool transient = false) {
    std::lock_guard lock(mutex_);
    auto& r = readers_[reader];
    r.busy = false;
    r.handled = !transient || ++r.transient_failures > kTransientRetries;
    if (!r.handled) r.retry_at = std::chrono::steady_clock::now() + kRetryDelay;
    changed_.notify_all();
  }

  IssueRequest request_for(const BatchRow& row, const CertificateSource& certificates) {
    IssueRequest req;
    req.template_name = row.template_name;
    req.holder_id = row.holder_id;
    req.holder_name = row.name;
    req.holder_email = row.email;
    req.answers_optional = true;
    req.operator_name = options_.operator_name;
    req.certificates = certificates;
    return req;
  }

  void work(const std::string& reader) {
    std::string card;
    std::optional<BatchEvent> done;  // the card issued in this session, said after it is released
    try {
      Site site = site_.another_connection();
      auto connection = transport::open_reader(readers_.at(reader).sim ? reader : "@" + reader, transport::ShareMode::exclusive);
      piv::PivSession session(*connection, {.hold_transaction = true, .select_on_open = true, .trace = options_.trace});
      CardSurvey survey = survey_card(site, session);
      card = survey.card_id;
      if (survey.kind == CardKind::issued) {
        int i = row_of_holder(survey.record->holder_id);
        if (i >= 0 && report_.holders[static_cast<std::size_t>(i)].result == BatchResult::queued)
          settle(i, BatchResult::already_issued, card, reader, "");
        event(BatchEvent::Kind::card_skipped, reader, card, survey.record->holder_id,
              "card " + card + " is already issued to holder " + survey.record->holder_id);
      } else if (survey.kind == CardKind::foreign) {
        event(BatchEvent::Kind::card_skipped, reader, card, "", not_issuable(survey).what());
      } else if (survey.kind == CardKind::pending) {
        int i = row_of_holder(survey.record->holder_id);
        bool ours = false;
        {
          std::lock_guard lock(mutex_);
          ours = i >= 0 && !claimed_[static_cast<std::size_t>(i)];
          if (ours) claimed_[static_cast<std::size_t>(i)] = true;
        }
        if (!ours) {
          event(BatchEvent::Kind::card_skipped, reader, card, survey.record->holder_id,
                "card " + card + " is half-issued for holder " + survey.record->holder_id + ", who is not in this batch");
        } else {
          issue_for(site, session, survey, reader, i, done);
        }
      } else {
        for (;;) {
          int i = claim(reader);
          if (i < 0) break;
          if (issue_for(site, session, survey, reader, i, done)) break;
        }
      }
      session.close(transport::Disposition::reset);
      if (done) event(done->kind, done->reader, done->card_id, done->holder_id, done->message);
    } catch (const Error& e) {
      // PC/SC's own failures (sharing violation, a transaction cut short), not a refusal about the card.
      bool transient = e.kind() == ErrorKind::transport || (e.kind() == ErrorKind::conflict && e.pcsc_code());
      if (transient) {
        event(BatchEvent::Kind::card_skipped, reader, card, "", std::string(e.what()) + "; trying again");
        finish_reader(reader, true);
        return;
      }
      event(BatchEvent::Kind::card_failed, reader, card, "", e.what());
    }
    finish_reader(reader);
  }

  // Issues the card in the session to row i. true when the card was used (issued, or failed half-way);
  // false when the holder was taken elsewhere and the card is still free for the next one.
  bool issue_for(Site& site, piv::PivSession& session, const CardSurvey& survey, const std::string& reader, int i,
                 std::optional<BatchEvent>& done) {
    const BatchRow row = report_.holders[static_cast<std::size_t>(i)].row;
    const auto& tpl = site.policy.card_template(row.template_name);
    event(BatchEvent::Kind::card_started, reader, "", row.holder_id, "issuing a card to holder " + row.holder_id);
    try {
      IssueRequest req = request_for(row, options_.certificates(tpl));
      req.survey = survey;
      auto result = issue_card(site, session, std::move(req));
      {
        std::lock_guard lock(mutex_);
        auto& h = report_.holders[static_cast<std::size_t>(i)];
        h.first_pin = std::move(result.pin);
        h.slots = result.slots;
      }
      settle(i, result.awaiting_certificates ? BatchResult::pending : BatchResult::issued, result.card_id, reader,
             result.awaiting_certificates ? "waits for its certificates" : "");
      // Said once the card is released (work()): "issued" tells the operator the card may be taken out.
      done = BatchEvent{BatchEvent::Kind::card_done, reader, result.card_id, row.holder_id,
                         "card " + result.card_id + " issued to holder " + row.holder_id};
      return true;
    } catch (const HolderHasCard& e) {
      settle(i, e.state == store::CardState::pending ? BatchResult::pending : BatchResult::already_issued, e.card_id, "",
             e.state == store::CardState::pending ? "half-issued on card " + e.card_id : "");
      return false;
    } catch (const Error& e) {
      auto record = site.inventory.cards_of_holder(row.holder_id);
      bool started = false;
      std::string card;
      for (const auto& c : record)
        if (c.state == store::CardState::pending && c.template_name == row.template_name) started = true, card = c.card_id;
      int tries;
      {
        std::lock_guard lock(mutex_);
        tries = ++attempts_[static_cast<std::size_t>(i)];
      }
      bool card_problem = e.kind() == ErrorKind::card_removed || e.kind() == ErrorKind::transport ||
                          e.kind() == ErrorKind::conflict || e.kind() == ErrorKind::unsupported;
      event(BatchEvent::Kind::card_failed, reader, card, row.holder_id, e.what());
      if (started) {
        settle(i, BatchResult::pending, card, reader, e.what());
        if (card_problem) throw;
        return true;
      }
      if (!card_problem) {  // the holder's problem: the card is untouched and takes the next holder
        settle(i, BatchResult::failed, "", reader, e.what());
        return false;
      }
      settle(i, tries < kAttemptsPerHolder ? BatchResult::queued : BatchResult::failed, "", "",
             tries < kAttemptsPerHolder ? "" : e.what());
      throw;
    }
  }

  Site& site_;
  const BatchOptions& options_;
  BatchReport report_;
  std::vector<int> attempts_;
  std::vector<bool> claimed_;
  std::map<std::string, Reader> readers_;
  std::map<std::string, bool> present_;
  std::mutex mutex_, event_mutex_;
  std::condition_variable changed_;
};

}  // namespace

BatchReport run_batch(Site& site, const BatchFile& file, const BatchOptions& options) {
  return Batch(site, file, options).run();
}

}  // namespace cardctl::lifecycle
