// `cardctl list`: the inventory's cards, filtered by state, holder or template, as a table or JSON.
#pragma once

#include <optional>
#include <string>

#include "cardctl/inventory.hpp"
#include "json.hpp"
#include "site_options.hpp"

namespace cardctl::cli {

struct ListOptions {
  SiteOptions site;
  std::string state;  // --state: pending, active, revoked or retired; empty: any
  std::string holder_id;
  std::string template_name;
};

void setup_list(CLI::App& app, Context& ctx);
void run_list(const ListOptions& options, Context& ctx);

/// Adds a card's fields to a JSON object, as list --json and show --json print them (card_id, holder_id,
/// holder_name, template, state, algorithm, key_version, issued_at, updated_at); holder_name is null when the
/// holder is not in the inventory.
Json& add_card_fields(Json& object, const store::CardRecord& card, const std::optional<store::Holder>& holder);

}  // namespace cardctl::cli
