#include "context.hpp"

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>
#include <unistd.h>

#include "cardctl/error.hpp"
#include "exit_codes.hpp"
#include "output.hpp"
#include "cardctl/pcsc.hpp"

namespace cardctl::cli {

namespace {

bool color_wanted() {
  // https://no-color.org: NO_COLOR present and not empty disables colour.
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color != nullptr && *no_color != '\0') return false;
  const char* term = std::getenv("TERM");
  if (term != nullptr && std::string_view(term) == "dumb") return false;
  return ::isatty(STDERR_FILENO) == 1;
}

constexpr const char* kReaderHelp =
    "Card to use: part of a PC/SC reader name, @NAME for the exact name, or sim:PATH for a reference card file "
    "(default: $CARDCTL_READER)";
constexpr const char* kSerialHelp =
    "Card to use by serial number; when several readers match, each is asked and the one with this serial kept";

}  // namespace

Context Context::standard() {
  Context ctx;
  ctx.out = &std::cout;
  ctx.err = &std::cerr;
  ctx.color = color_wanted();
  // The default card for every command; --reader given on the command line replaces it.
  if (const char* reader = std::getenv("CARDCTL_READER"); reader != nullptr) ctx.default_reader = reader;
  ctx.open_reader = [](std::string_view spec, transport::ShareMode mode) { return transport::open_reader(spec, mode); };
  ctx.list_readers = [] { return transport::pcsc_readers().list_readers(); };
  return ctx;
}

void Context::emit(Json doc) {
  if (json_emitted) throw Error(ErrorKind::internal, "a second --json document for one command");
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  out["ok"] = doc.has("ok") ? doc.value()["ok"] : nlohmann::ordered_json(true);
  for (auto& [key, value] : doc.value().items())
    if (key != "ok") out[key] = std::move(value);
  if (const std::size_t n = apdus->load(); n > 0) out["apdus"] = n;
  doc.value() = std::move(out);
  o() << doc.dump() << '\n';
  json_emitted = true;
}

TraceSink Context::trace() const {
  if (!verbose) return {};
  return [this](const std::string& line) { e() << "cardctl: apdu " << line << '\n'; };
}

void Context::fail(const Error& error, Json report) {
  report_error(e(), error, verbose, color);
  if (json && !json_emitted) emit(report.set("ok", false).set("error", error_json(error)));
  exit_code = static_cast<int>(exit_code_for(error.kind()));
}

void Context::show(const Fields& code) const {
  std::ostream& to = json ? e() : o();
  code.print(to);
  to.flush();
}

void Context::done(std::string_view text) const { o() << text << '\n'; }

void Context::note(std::string_view text) const {
  if (!quiet) e() << "cardctl: note: " << text << '\n';
}

void Context::warn(std::string_view text) const {
  if (!quiet) e() << "cardctl: warning: " << text << '\n';
}

void Context::debug(std::string_view text) const {
  if (verbose) e() << "cardctl: " << text << '\n';
}

void add_card_options(CLI::App& app, Context& ctx) {
  app.add_option("--reader", ctx.reader, kReaderHelp)->type_name("READER");
  app.add_option_function<std::uint32_t>(
         "--serial", [&ctx](const std::uint32_t& serial) { ctx.serial = serial; }, kSerialHelp)
      ->type_name("N");
}

void add_json_option(CLI::App& app, Context& ctx) {
  app.add_flag("--json", ctx.json, "Machine-readable output (JSON on stdout)");
}

void add_global_options(CLI::App& app, Context& ctx) {
  add_card_options(app, ctx);
  add_json_option(app, ctx);
  auto* quiet = app.add_flag("-q,--quiet", ctx.quiet, "Print no notes or warnings, only data and errors");
  auto* verbose = app.add_flag("-v,--verbose", ctx.verbose,
                               "Explain: status words, PC/SC codes, where secrets came from, and the APDU trace "
                               "with secrets masked (on stderr)");
  quiet->excludes(verbose);
  app.add_flag("--no-prompt", ctx.no_prompt,
               "Never ask on the terminal; fail and list the secrets that are missing instead");
}

}  // namespace cardctl::cli
