#include "issue_batch.hpp"

#include <chrono>
#include <fmt/format.h>
#include <map>
#include <unistd.h>

#include "cardctl/batch_issue.hpp"
#include "cardctl/error.hpp"
#include "cardctl/files.hpp"
#include "json.hpp"
#include "output.hpp"
#include "process.hpp"

namespace cardctl::cli {

std::optional<crypto::CertificateAuthority> load_ca(const CaOptions& ca, const policy::CardTemplate* tpl, Context& ctx);

namespace {

// The batch's progress on stderr, one line per card and a running total (rewritten in place on a terminal).
class Progress {
 public:
  Progress(const Context& ctx, int total) : ctx_(ctx), total_(total), tty_(::isatty(STDERR_FILENO) == 1) {}

  void operator()(const lifecycle::BatchEvent& e) {
    using K = lifecycle::BatchEvent::Kind;
    if (e.kind == K::card_done) ++done_;
    if (e.kind == K::card_failed) ++failed_;
    if (ctx_.quiet) return;
    double minutes = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count() / 60.0;
    std::string status = fmt::format("done {} · failed {} · remaining {} · {:.1f} cards/min", done_, failed_,
                                     std::max(0, total_ - done_), minutes > 0 ? done_ / minutes : 0.0);
    if (tty_) {
      if (e.kind != K::card_started) ctx_.e() << "\r\033[K" << e.reader << ": " << e.message << '\n';
      ctx_.e() << "\r\033[K" << status << std::flush;
    } else if (e.kind != K::card_started) {
      ctx_.e() << e.reader << ": " << e.message << " (" << status << ")\n";
    }
  }
  void end() const {
    if (tty_ && !ctx_.quiet) ctx_.e() << '\n';
  }

 private:
  const Context& ctx_;
  const int total_;
  const bool tty_;
  const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  int done_ = 0, failed_ = 0;
};

Json report_json(const lifecycle::BatchReport& report, const lifecycle::BatchFile& batch, const std::string& file) {
  Json holders = Json::array();
  for (const auto& h : report.holders) {
    Json j = Json::object()
                 .set("line", h.row.line)
                 .set("holder_id", h.row.holder_id)
                 .set("template", h.row.template_name)
                 .set("outcome", lifecycle::to_string(h.result));
    if (!h.card_id.empty()) j.set("card_id", h.card_id);
    if (!h.reader.empty()) j.set("reader", h.reader);
    if (!h.error.empty()) j.set("error", h.error);
    if (h.first_pin) j.set("first_pin", std::string(h.first_pin->text()));
    holders.push(std::move(j));
  }
  Json bad = Json::array();
  for (const auto& p : batch.problems) bad.push(Json::object().set("line", p.line).set("error", p.to_string()));
  using R = lifecycle::BatchResult;
  return Json::object()
      .set("ok", report.unfinished() == 0)
      .set("file", file)
      .set("interrupted", report.interrupted)
      .set("summary", Json::object()
                          .set("holders", static_cast<std::int64_t>(report.holders.size()))
                          .set("issued", report.count(R::issued))
                          .set("already_issued", report.count(R::already_issued))
                          .set("pending", report.count(R::pending))
                          .set("failed", report.count(R::failed))
                          .set("not_reached", report.count(R::queued)))
      .set("holders", std::move(holders))
      .set("bad_rows", std::move(bad));
}

}  // namespace

void run_issue_batch(IssueOptions& options, Context& ctx) {
  if (!options.holder_id.empty() || !options.holder_name.empty() || !options.holder_email.empty() || options.replace ||
      options.dry_run || !options.answer_ids.empty() || options.choose_pin || options.first_pin.file ||
      options.current_pin.file || options.force || !options.import_dir.empty() || ctx.serial)
    throw Error(ErrorKind::usage, "--batch takes the holders from its file and works on every card it is given",
                "leave out --holder, --name, --email, --answer, --choose-pin, --pin-file, --current-pin-file, --force, "
                "--replace, --dry-run, --serial and --import-certificates");
  if (!options.report_file.empty()) {  // the report holds the first PINs: its place is checked before any card
    auto slash = options.report_file.find_last_of('/');
    std::string dir = slash == std::string::npos ? "." : options.report_file.substr(0, slash == 0 ? 1 : slash);
    if (::access(dir.c_str(), W_OK) != 0)
      throw Error(ErrorKind::io, "the report cannot be written to " + dir, "give --report a file in a writable directory");
  }
  auto site = open_site(options.site, ctx, "issue");
  auto file = lifecycle::read_batch_file(options.batch_file, site.policy, options.template_name);
  for (const auto& p : file.problems) report_error(ctx.e(), p.to_string(), "", ctx.color);
  if (!file.problems.empty() && !options.skip_bad_rows)
    throw Error(ErrorKind::usage,
                options.batch_file + " has " + std::to_string(file.problems.size()) + " malformed row(s); nothing was issued",
                "correct them, or run with --skip-bad-rows to issue the other rows");
  if (file.rows.empty()) throw Error(ErrorKind::usage, options.batch_file + " lists no holders", "add rows under the header");

  // The CAs of the templates, each loaded (and its passphrase asked) once, before the first card.
  std::map<std::pair<std::string, std::string>, crypto::CertificateAuthority> loaded;  // (cert, key) -> CA
  std::map<std::string, const crypto::CertificateAuthority*> cas;                       // template -> CA
  for (const auto& row : file.rows) {
    const auto& tpl = site.policy.card_template(row.template_name);
    if (cas.count(tpl.name) || tpl.slots.empty() || !options.ca.csr_out.empty()) continue;
    bool from_cli = !options.ca.certificate.empty() || !options.ca.key.empty();
    std::pair<std::string, std::string> files{from_cli ? options.ca.certificate : tpl.certificate.ca_certificate,
                                              from_cli ? options.ca.key : tpl.certificate.ca_key};
    if (!loaded.count(files)) {
      auto ca = load_ca(options.ca, &tpl, ctx);
      if (!ca)
        throw Error(ErrorKind::usage, "template " + tpl.name + " generates keys, and no CA is given to certify them",
                    "give --ca-cert FILE --ca-key FILE (or ca_certificate and ca_key in the template), or --csr-out DIR");
      loaded.emplace(files, std::move(*ca));
    }
    cas[tpl.name] = &loaded.at(files);
  }
  if (!options.ca.csr_out.empty()) files::make_dirs(options.ca.csr_out);

  const int total = static_cast<int>(file.rows.size());
  Progress progress(ctx, total);
  lifecycle::BatchOptions bo;
  bo.readers = options.batch_readers;
  if (bo.readers.empty() && !ctx.reader_spec().empty()) bo.readers.push_back(ctx.reader_spec());
  bo.operator_name = options.site.op();
  bo.trace = ctx.trace();
  bo.stop = StopOnInterrupt::stop_requested();
  bo.certificates = [&](const policy::CardTemplate& tpl) {
    lifecycle::CertificateSource source;
    source.csr_dir = options.ca.csr_out;
    auto it = cas.find(tpl.name);
    if (it != cas.end()) source.ca = it->second;
    return source;
  };
  bo.on_event = [&](const lifecycle::BatchEvent& e) { progress(e); };
  lifecycle::BatchReport report;
  {
    StopOnInterrupt interrupt;
    if (!ctx.quiet)
      ctx.e() << "issuing " << total << " holder(s) from " << options.batch_file
              << "; insert cards in the readers (Ctrl-C finishes the cards in progress and stops)\n";
    report = lifecycle::run_batch(site, file, bo);
  }
  progress.end();
  using R = lifecycle::BatchResult;
  Json j = report_json(report, file, options.batch_file);
  if (!options.report_file.empty())  // it holds first PINs: 0600, written atomically
    files::write_atomic(options.report_file, to_bytes(j.dump() + "\n"), 0600);
  if (!ctx.json) {
    for (const auto& h : report.holders) {
      ctx.o() << fmt::format("{:<12} {:<16} {:<14}", h.row.holder_id, lifecycle::to_string(h.result), h.card_id);
      if (h.first_pin) ctx.o() << " first PIN " << h.first_pin->text();
      if (!h.error.empty()) ctx.o() << " " << h.error;
      ctx.o() << '\n';
    }
    ctx.o() << fmt::format("{} issued, {} already issued, {} pending, {} failed, {} not reached{}\n", report.count(R::issued),
                           report.count(R::already_issued), report.count(R::pending), report.count(R::failed),
                           report.count(R::queued), report.interrupted ? " (interrupted)" : "");
  }
  if (report.unfinished() == 0) {
    if (ctx.json) ctx.emit(j);
  } else {
    ctx.fail(Error(ErrorKind::partial,
                   std::to_string(report.unfinished()) + " of " + std::to_string(total) + " holder(s) have no card yet" +
                       (report.interrupted ? " (the batch was interrupted)" : ""),
                   "run the same command again: issued holders are skipped, and the others get their cards"),
             j);
  }
  ctx.o().flush();
  if (ctx.o())
    for (const auto& h : report.holders)
      if (h.first_pin && !h.card_id.empty()) lifecycle::first_pin_delivered(site, h.card_id);
}

}  // namespace cardctl::cli
