// Layer 9: the holder list of a batch issuance (cardctl-issue(1), BATCH): CSV with a header row (holder, name,
// email, template, reader; holder required) or TOML ([[holders]] with the same keys). Every malformed row is
// reported with file:line; none is silently dropped.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "cardctl/policy.hpp"

namespace cardctl::lifecycle {

struct BatchRow {
  int line = 0;
  std::string holder_id;
  std::string name;
  std::string email;
  std::string template_name;  // the row's, else the --template default
  std::string reader;         // optional: only this reader (pattern as --reader) takes the row
};

struct BatchFile {
  std::vector<BatchRow> rows;                 // the well-formed rows, in file order
  std::vector<policy::Diagnostic> problems;   // "people.csv:7: holder: is empty"
};

/// Reads path as TOML when it ends in .toml, else as CSV. Templates are checked against the policy; a holder
/// listed twice is a problem on its second line. Error(io) when the file cannot be read.
BatchFile read_batch_file(const std::string& path, const policy::Policy& policy, const std::string& default_template);
BatchFile parse_batch_csv(std::string_view text, const std::string& source, const policy::Policy& policy,
                          const std::string& default_template);
BatchFile parse_batch_toml(std::string_view text, const std::string& source, const policy::Policy& policy,
                           const std::string& default_template);

}  // namespace cardctl::lifecycle
