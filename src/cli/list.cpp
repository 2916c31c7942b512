#include "list.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <fmt/format.h>

#include "cardctl/card_admin.hpp"
#include "cardctl/error.hpp"

namespace cardctl::cli {

namespace {
constexpr const char* kStates = "pending, active, revoked or retired";
}

void setup_list(CLI::App& app, Context& ctx) {
  auto options = std::make_shared<ListOptions>();
  auto* sub = app.add_subcommand("list", "List the cards in the inventory, by state, holder or template");
  add_json_option(*sub, ctx);
  add_site_options(*sub, options->site);
  sub->add_option("--state", options->state, std::string("Only cards in this state: ") + kStates)
      ->type_name("STATE");
  sub->add_option("--holder", options->holder_id, "Only this holder's cards")->type_name("ID");
  sub->add_option("--template", options->template_name, "Only cards issued from this template")->type_name("NAME");
  sub->footer(
      "One line per card: card id, holder, name, template, state and when it was issued, oldest first.\n\n"
      "Examples:\n"
      "  cardctl list\n"
      "  cardctl list --state active --holder 1042\n"
      "  cardctl list --template staff --json | jq -r '.cards[].card_id'");
  sub->callback([options, &ctx] { run_list(*options, ctx); });
}

Json& add_card_fields(Json& j, const store::CardRecord& c, const std::optional<store::Holder>& holder) {
  return j.set("card_id", c.card_id)
      .set("holder_id", c.holder_id)
      .set("holder_name", holder ? Json(holder->name) : Json())
      .set("template", c.template_name)
      .set("state", store::to_string(c.state))
      .set("algorithm", crypto::info(c.algorithm).name)
      .set("key_version", c.key_version)
      .set("issued_at", c.issued_at)
      .set("updated_at", c.updated_at);
}

void run_list(const ListOptions& options, Context& ctx) {
  lifecycle::CardFilter filter{std::nullopt, options.holder_id, options.template_name};
  if (!options.state.empty()) {
    filter.state = store::card_state_from(options.state);
    if (!filter.state)
      throw Error(ErrorKind::usage, "unknown card state '" + options.state + "'", std::string("use ") + kStates);
  }
  auto site = open_site(options.site, ctx, "list");
  auto cards = lifecycle::find_cards(site, filter);
  std::vector<std::optional<store::Holder>> holders;
  for (const auto& c : cards)
    holders.push_back(c.holder_id.empty() ? std::nullopt : site.inventory.find_holder(c.holder_id));

  if (ctx.json) {
    Json list = Json::array();
    for (std::size_t i = 0; i < cards.size(); ++i) {
      Json card = Json::object();
      list.push(std::move(add_card_fields(card, cards[i], holders[i])));
    }
    ctx.emit(Json::object().set("ok", true).set("cards", std::move(list)));
    return;
  }
  if (cards.empty()) {
    bool filtered = filter.state || !filter.holder_id.empty() || !filter.template_name.empty();
    ctx.note(filtered ? "no card in the inventory matches" : "the inventory has no cards; cardctl issue adds them");
    return;
  }
  using Row = std::array<std::string, 6>;
  std::vector<Row> rows{Row{"CARD", "HOLDER", "NAME", "TEMPLATE", "STATE", "ISSUED"}};
  for (std::size_t i = 0; i < cards.size(); ++i) {
    const auto& c = cards[i];
    rows.push_back(Row{c.card_id, c.holder_id.empty() ? "-" : c.holder_id, holders[i] ? holders[i]->name : "-",
                    c.template_name, store::to_string(c.state), c.issued_at});
  }
  std::array<std::size_t, 6> width{};
  for (const auto& r : rows)
    for (std::size_t k = 0; k < r.size(); ++k) width[k] = std::max(width[k], r[k].size());
  for (const auto& r : rows) {
    std::string line;
    for (std::size_t k = 0; k + 1 < r.size(); ++k) line += fmt::format("{:<{}}  ", r[k], width[k]);
    ctx.o() << line << r.back() << '\n';
  }
}

}  // namespace cardctl::cli
