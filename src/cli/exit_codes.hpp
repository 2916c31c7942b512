// Layer 10: the process exit codes, the one table of them. The README's "Exit codes" table, cardctl(1) EXIT
// STATUS and the --help footer are checked against kExitCodes by tests/unit/cli/test_exit_codes.cpp.
#pragma once

#include <array>
#include <string_view>

#include "cardctl/error.hpp"

namespace cardctl::cli {

enum class ExitCode : int {
  ok = 0,
  internal = 1,      // a bug in cardctl
  usage = 2,
  card = 3,
  wrong_secret = 4,  // wrong PIN, PUK, response, passphrase or key
  blocked = 5,
  refused = 6,       // policy or role; a tampered trail found by audit verify
  not_found = 7,
  io = 8,
  conflict = 9,      // already exists, in use by another process, or a state that forbids the command
  partial = 10,      // a batch that did not finish every item
};

struct ExitCodeRow {
  ExitCode code;
  std::string_view name;     // the short word in the --help footer
  std::string_view meaning;  // the README's and cardctl(1)'s text, word for word
};

inline constexpr std::array<ExitCodeRow, 11> kExitCodes{{
    {ExitCode::ok, "ok", "success"},
    {ExitCode::internal, "internal error",
     "internal error: a bug in cardctl; report it with the output of --verbose"},
    {ExitCode::usage, "usage",
     "usage: a bad option or argument, a missing secret with --no-prompt, more than one card could be meant"},
    {ExitCode::card, "card error",
     "card or reader error: refused, removed, or an unexpected answer (including pcscd not running)"},
    {ExitCode::wrong_secret, "wrong secret",
     "wrong PIN, PUK, response, passphrase or key; the message says how many tries are left"},
    {ExitCode::blocked, "blocked", "PIN or PUK blocked: no tries left"},
    {ExitCode::refused, "refused",
     "refused: by policy or by the operator's role; audit verify: the trail or inventory was tampered with"},
    {ExitCode::not_found, "not found", "not found: reader, card, card file, installation, holder, object"},
    {ExitCode::io, "I/O", "I/O: files, disk, database; an inventory record changed outside cardctl"},
    {ExitCode::conflict, "conflict",
     "conflict: already exists, in use by another process, or the card's state forbids it"},
    {ExitCode::partial, "partial", "partial: a batch did not finish every holder; its report says which and why"},
}};

/// The exit code for an error of this kind.
ExitCode exit_code_for(ErrorKind kind) noexcept;

/// "0 ok, 1 internal error, 2 usage, ..." for the --help footer.
std::string exit_code_summary();

}  // namespace cardctl::cli
