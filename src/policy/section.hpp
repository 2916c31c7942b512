// One TOML table of a policy file, read key by key. Every problem becomes a Diagnostic naming the file, the
// line and the dotted key; keys never asked for are reported as unknown, with the nearest known key.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <set>
#include <string>
#include <string_view>
#include <toml++/toml.h>
#include <vector>

#include "cardctl/policy.hpp"

namespace cardctl::policy {

class Section {
 public:
  Section(const toml::table& t, std::string path, std::vector<Diagnostic>& diags, const std::string& source)
      : t_(t), path_(std::move(path)), diags_(diags), source_(source) {}

  /// A problem at a node (nullptr: at this table).
  void problem(const toml::node* at, const std::string& key, const std::string& msg) const;
  /// The dotted key of a member: "templates.staff.pin" + "min_length".
  std::string key(std::string_view k) const;
  int line() const { return static_cast<int>(t_.source().begin.line); }

  /// The member, remembered as known; nullptr when absent.
  const toml::node* get(std::string_view k);
  /// Each reads an optional member into out when present and valid, and reports it otherwise.
  void integer(std::string_view k, int& out, int lo, int hi);
  void boolean(std::string_view k, bool& out);
  bool text(std::string_view k, std::string& out, bool required = false);
  const toml::table* table(std::string_view k);
  bool strings(std::string_view k, std::vector<std::string>& out);  // an array of strings
  Section sub(const toml::table& t, std::string_view k) const { return Section(t, key(k), diags_, source_); }
  /// Calls fn with each table of the array of tables k ([[k]]), as "k[0]", "k[1]" ...; other elements are
  /// reported.
  void each_table(std::string_view k, const std::function<void(Section&, const toml::table&)>& fn);

  /// Reports members never asked for, with the nearest of the known keys as a suggestion.
  void finish(std::initializer_list<std::string_view> known);

 private:
  const toml::array* array(std::string_view k);
  const toml::table& t_;
  std::string path_;
  std::vector<Diagnostic>& diags_;
  const std::string& source_;
  std::set<std::string> used_;
};

/// The nearest candidate within two edits, or "" (for "did you mean ...").
std::string_view nearest(std::string_view name, std::initializer_list<std::string_view> candidates);

}  // namespace cardctl::policy
