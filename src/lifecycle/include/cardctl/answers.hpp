// Layer 9: the caller's answers to the security questions as a file, the input of caller identification for
// scripts and tests (`cardctl respond --answers-file`, `cardctl puc show --answers-file`): one "question-id: answer"
// line per question; the answer is everything after the first colon, kept as it is.
#pragma once

#include <map>
#include <string>

#include "cardctl/bytes.hpp"

namespace cardctl::lifecycle {

/// Question id -> answer. Lines without a colon are ignored; a later line for the same id replaces an earlier
/// one. Every buffer the answers pass through wipes itself.
std::map<std::string, SecureString> parse_answers(ByteView text);
/// parse_answers of a secret file (files::read_secret: mode 0600).
std::map<std::string, SecureString> read_answers_file(const std::string& path);

}  // namespace cardctl::lifecycle
