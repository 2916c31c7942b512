// `cardctl unblock`: the holder unblocks the PIN: interactively in one card session (challenge shown, response
// and new PIN typed), with --response after `challenge --detach`, or with the PUK (--puc); at the helpdesk, with
// the card's admin key after an ID check (--in-person).
#pragma once

#include <optional>
#include <string>

#include "site_options.hpp"
#include "unblock_flow.hpp"

namespace cardctl::cli {

struct UnblockOptions {
  UnblockInputs inputs;
  std::optional<std::string> response;  // --response CODE (detached flow)
  bool puc = false;
  bool in_person = false;
  std::string id_check;  // --id-check: what the operator checked (in person)
  bool dry_run = false;
  bool force = false;
  SiteOptions site;  // --puc: where the use is recorded; --in-person: the installation
  SecretRequest puk{"PUK", "--puk-file", std::nullopt, "CARDCTL_PUK", false};
};

void setup_unblock(CLI::App& app, Context& ctx);
void run_unblock(UnblockOptions& options, Context& ctx);

}  // namespace cardctl::cli
