// `cardctl operator add|add-card|remove|list`: who may run which commands, and the operators' cards that open the
// keystore instead of its passphrase (cardctl-operator(1)); the system owner's job.
#pragma once

#include <string>

#include "site_options.hpp"

namespace cardctl::cli {

struct OperatorOptions {
  SiteOptions site;
  std::string name;
  std::string role;
  std::string card_reader;  // --card-reader: the operator's card, enrolled to open the keystore
};

void setup_operator(CLI::App& app, Context& ctx);
void run_operator_add(const OperatorOptions& options, Context& ctx);
void run_operator_add_card(const OperatorOptions& options, Context& ctx);
void run_operator_remove(const OperatorOptions& options, Context& ctx);
void run_operator_list(const OperatorOptions& options, Context& ctx);

}  // namespace cardctl::cli
