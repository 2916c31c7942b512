// `cardctl respond`: the helpdesk turns the caller's challenge into a response, after checking the card, the
// policy and the caller (docs/architecture.md#offline-unblock).
#pragma once

#include <map>
#include <optional>

#include <string>

#include "site_options.hpp"

namespace cardctl::cli {

struct RespondOptions {
  SiteOptions site;
  std::string card_id;
  std::string challenge;
  bool no_check = false;  // --no-check: the challenge was shown without a check
  std::string algorithm;
  std::optional<std::uint32_t> key_version;
  std::optional<std::string> answers_file;  // "question-id: answer" lines, for scripts and tests
  bool report_rejected = false;  // --report-rejected: record that the card rejected a correct response
};

/// The caller's answers to the security questions: from an answers file ("id: answer" lines, 0600) or asked of
/// the operator without echo. Shared by respond and puc show.
class CallerAnswers {
 public:
  CallerAnswers(std::optional<std::string> file, Context& ctx);
  SecureString operator()(const policy::Question& q) const;

 private:
  std::optional<std::string> file_;
  Context* ctx_;
  std::map<std::string, SecureString> scripted_;
};

void setup_respond(CLI::App& app, Context& ctx);
void run_respond(RespondOptions& options, Context& ctx);

}  // namespace cardctl::cli
