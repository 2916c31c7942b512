// `cardctl puc show`: the helpdesk discloses a card's escrowed PUK to its identified holder (cardctl-puc(1)).
#pragma once

#include <optional>
#include <string>

#include "site_options.hpp"

namespace cardctl::cli {

struct PucOptions {
  SiteOptions site;
  std::string card_id;
  std::optional<std::string> answers_file;
};

void setup_puc(CLI::App& app, Context& ctx);

}  // namespace cardctl::cli
