// Layer 10: an unknown command word caught before CLI11 parses (which would otherwise print the top-level help
// for "cardctl frob --help" and exit 0), with a "did you mean" from the commands that exist.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace CLI {
class App;
}

namespace cardctl::cli {

struct UnknownCommand {
  std::string message;
  std::string hint;
};

/// Whether argv holds this exact argument (before a "--").
bool argv_has(int argc, const char* const* argv, std::string_view arg);

/// The first command word (or sub-command word) of argv that app does not know, if any.
std::optional<UnknownCommand> unknown_command(const CLI::App& app, int argc, const char* const* argv);

/// The closest of the candidates to word (edit distance at most 2, or a prefix), or "" when none is close.
std::string closest(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace cardctl::cli
