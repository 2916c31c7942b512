// Layer 10: text output helpers. stdout carries data only (docs/architecture.md#output); errors and hints go through
// report_error on stderr.
#pragma once

#include <iosfwd>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cardctl/error.hpp"
#include "json.hpp"

namespace cardctl::cli {

/// "Label:   value" lines with the values aligned, printed in the order added.
class Fields {
 public:
  Fields& add(std::string label, std::string value, int indent = 0);
  void print(std::ostream& out) const;

 private:
  struct Row {
    std::string label;
    std::string value;
    int indent;
  };
  std::vector<Row> rows_;
};

/// A holder as the operator confirms who is calling: "1042 (Alice Example)", or the id alone without a name.
std::string holder_label(const std::string& holder_id, const std::string& name);

/// The error's hint, or, for one that has none, what to do about an error of its kind: every error says what to do.
std::string hint_for(const Error& e);

/// The error translator's output (docs/architecture.md#error-translator): "cardctl: error: <message>" and "cardctl:
/// hint: <hint>"; with verbose also the error kind, status word, PC/SC code and retries left.
void report_error(std::ostream& err, const Error& e, bool verbose, bool color);
/// "cardctl: error: <message>" with an optional hint, for errors that are not cardctl::Error.
void report_error(std::ostream& err, std::string_view message, std::string_view hint, bool color);

/// The "error" member of a failed command's --json document: code (the error kind), exit, message, hint, and
/// tries_left when the card said how many are left.
Json error_json(const Error& e);

}  // namespace cardctl::cli
