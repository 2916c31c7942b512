// Layer 10: what every subcommand gets from main (docs/architecture.md#subcommands): the output streams, the global
// flags, the way to reach readers, the APDU trace and the secret prompter, so that run_X() is testable without argv.
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cardctl/channel.hpp"
#include "cardctl/counted_connection.hpp"
#include "cardctl/transport.hpp"
#include "json.hpp"
#include "prompt.hpp"

namespace CLI {
class App;
}

namespace cardctl::cli {

class Fields;

using ReaderOpener = std::function<std::unique_ptr<transport::Connection>(std::string_view spec,
                                                                           transport::ShareMode mode)>;
using ReaderLister = std::function<std::vector<transport::ReaderInfo>()>;

struct Context {
  std::ostream* out = nullptr;  // data only (docs/architecture.md#output)
  std::ostream* err = nullptr;  // errors, hints, notes, the APDU trace

  // Global options (docs/architecture.md#conventions).
  std::string reader;                  // --reader: substring, "@NAME" exact, or "sim:PATH"
  std::string default_reader;          // $CARDCTL_READER: the card when --reader is not given
  std::optional<std::uint32_t> serial;  // --serial
  bool json = false;
  bool quiet = false;
  bool verbose = false;
  bool no_prompt = false;
  bool color = false;  // stderr is a terminal and NO_COLOR is unset

  /// Opens a reader spec; defaults to transport::open_reader.
  ReaderOpener open_reader;
  /// The raw APDUs this run exchanged through connect_reader (card.hpp), every connection together: reported by
  /// --verbose and as "apdus" in the --json document.
  transport::ApduCounter apdus = std::make_shared<std::atomic<std::size_t>>(0);
  /// Lists PC/SC readers; defaults to transport::pcsc_readers().list_readers().
  ReaderLister list_readers;
  Prompter prompter;

  /// Exit status for main when run_X finished without throwing (e.g. a partial batch).
  int exit_code = 0;
  /// Whether this command has printed its --json document (main prints an error document only if not).
  bool json_emitted = false;

  /// The real process: std::cout/std::cerr, PC/SC and sim: readers, the terminal, NO_COLOR from the
  /// environment.
  static Context standard();

  std::ostream& o() const { return *out; }
  /// The card to use: --reader, else $CARDCTL_READER (`readers` lists every reader and takes --reader only).
  const std::string& reader_spec() const { return reader.empty() ? default_reader : reader; }

  /// Prints the command's one --json document on stdout, with "ok" first ("ok": true unless it says otherwise).
  void emit(Json doc);
  std::ostream& e() const { return *err; }

  /// The APDU trace (secrets already masked by the channel) on stderr with --verbose; empty otherwise.
  TraceSink trace() const;
  /// A failure: the error and its hint on stderr; with --json the report as the document with "ok": false and
  /// "error" (unless the command printed its document already); and the exit code for main. Commands with a
  /// report to give (audit verify, policy check, a partial batch) call it; main calls it for every other error.
  void fail(const Error& error, Json report = Json::object());
  /// A code for the person at the terminal to read out or write down (a challenge, an SO unblock key), flushed at
  /// once: on stdout, or with --json on stderr, since stdout holds the command's one document.
  void show(const Fields& code) const;
  /// The one line that says a command did what it was asked, on stdout, even with --quiet.
  void done(std::string_view text) const;
  /// "cardctl: note: ..." on stderr unless --quiet.
  void note(std::string_view text) const;
  /// "cardctl: warning: ..." on stderr unless --quiet.
  void warn(std::string_view text) const;
  /// "cardctl: ..." on stderr with --verbose only.
  void debug(std::string_view text) const;

  /// A secret from its sources (prompt.hpp), honouring --no-prompt and logging the source with --verbose.
  template <class S>
  S secret(const SecretRequest& request) const {
    return prompter.read_as<S>(request, no_prompt, [this](std::string_view line) { debug(line); });
  }
  /// Fails early, listing all of them, when --no-prompt is given and some secrets have no source.
  void require_secrets(const std::vector<const SecretRequest*>& requests) const {
    prompter.require(requests, no_prompt);
  }
};

/// Adds --reader and --serial to a subcommand (they are global options too; either place works).
void add_card_options(CLI::App& app, Context& ctx);
/// Adds --json to a subcommand.
void add_json_option(CLI::App& app, Context& ctx);
/// Adds every global option to the top-level app.
void add_global_options(CLI::App& app, Context& ctx);

}  // namespace cardctl::cli
