// `cardctl issue`: personalise a card from a policy template and register it (cardctl-issue(1)); with --batch, a
// list of holders over every reader; with --import-certificates, finish cards whose CSRs went to an outside CA.
#pragma once

#include <string>
#include <vector>

#include "site_options.hpp"

namespace cardctl::cli {

struct CaOptions {
  std::string certificate;  // --ca-cert
  std::string key;          // --ca-key
  SecretRequest passphrase{"CA key passphrase", "--ca-passphrase-file", std::nullopt, "CARDCTL_CA_PASSPHRASE", false};
  std::string csr_out;      // --csr-out DIR
};

struct IssueOptions {
  SiteOptions site;
  std::string template_name;
  std::string holder_id;
  std::string holder_name;
  std::string holder_email;
  std::vector<std::string> answer_ids;  // --answer ID (the answers are read like secrets)
  SecretRequest first_pin{"first PIN", "--pin-file", std::nullopt, "", true};
  SecretRequest current_pin{"card's current PIN", "--current-pin-file", std::nullopt, "", false};
  bool choose_pin = false;
  bool force = false;  // may spend the last PIN try
  bool replace = false;
  bool dry_run = false;
  CaOptions ca;
  std::string import_dir;  // --import-certificates DIR
  std::string batch_file;  // --batch FILE
  std::vector<std::string> batch_readers;  // --readers PATTERN (repeat)
  bool skip_bad_rows = false;
  std::string report_file;  // --report FILE
};

void setup_issue(CLI::App& app, Context& ctx);
void run_issue(IssueOptions& options, Context& ctx);

}  // namespace cardctl::cli
