// `cardctl puc show|rotate`: the helpdesk discloses a card's escrowed PUK to its identified holder, and replaces a
// disclosed one when the card is at hand (cardctl-puc(1)).
#pragma once

#include <optional>
#include <string>

#include "site_options.hpp"

namespace cardctl::cli {

struct PucOptions {
  SiteOptions site;
  std::string card_id;
  std::optional<std::string> answers_file;
  bool force = false;    // rotate: spend a PUK try the counter cannot spare
  bool dry_run = false;  // rotate: the checks and the plan only
};

void setup_puc(CLI::App& app, Context& ctx);

}  // namespace cardctl::cli
