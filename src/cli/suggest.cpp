#include "suggest.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>

namespace cardctl::cli {

namespace {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::vector<std::string> names_of(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) names.push_back(sub->get_name());
  return names;
}

// Options of app (or of its parents, which fall through) that take a value, so that their value is not read
// as a command word.
bool takes_value(const CLI::App& app, std::string_view arg) {
  if (arg.find('=') != std::string_view::npos) return false;
  for (const CLI::App* a = &app; a != nullptr; a = a->get_parent()) {
    for (const CLI::Option* opt : a->get_options()) {
      if (opt->get_expected_min() < 1) continue;
      for (const auto& name : opt->get_lnames())
        if (arg == "--" + name) return true;
      for (const auto& name : opt->get_snames())
        if (arg == "-" + name) return true;
    }
  }
  return false;
}

}  // namespace

bool argv_has(int argc, const char* const* argv, std::string_view arg) {
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--") return false;
    if (std::string_view(argv[i]) == arg) return true;
  }
  return false;
}

std::string closest(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_distance = 3;
  for (const auto& c : candidates) {
    std::size_t d = edit_distance(word, c);
    if (word.size() >= 2 && c.rfind(word, 0) == 0) d = std::min<std::size_t>(d, 1);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best;
}

std::optional<UnknownCommand> unknown_command(const CLI::App& app, int argc, const char* const* argv) {
  const CLI::App* current = &app;
  std::string path = "cardctl";
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--") return std::nullopt;
    if (arg.starts_with("-")) {
      if (takes_value(*current, arg)) ++i;
      continue;
    }
    auto names = names_of(*current);
    if (names.empty()) return std::nullopt;  // a positional argument of a command
    const CLI::App* sub = nullptr;
    for (const CLI::App* candidate : current->get_subcommands([](const CLI::App*) { return true; }))
      if (candidate->check_name(std::string(arg))) sub = candidate;
    if (sub == nullptr) {
      std::string guess = closest(arg, names);
      std::string hint = guess.empty() ? "" : "did you mean '" + path + " " + guess + "'? ";
      hint += "run '" + path + " --help' for the list of commands";
      return UnknownCommand{"unknown command '" + std::string(arg) + "' for '" + path + "'", hint};
    }
    current = sub;
    path += " " + sub->get_name();
  }
  return std::nullopt;
}

}  // namespace cardctl::cli
