#include "operator_cmd.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <optional>
#include <vector>

#include "card.hpp"
#include "cardctl/card_unlock.hpp"
#include "cardctl/error.hpp"
#include "cardctl/operators.hpp"
#include "json.hpp"
#include "output.hpp"

namespace cardctl::cli {

void setup_operator(CLI::App& app, Context& ctx) {
  auto* op = app.add_subcommand("operator", "Register the operators and their roles (system owner)");
  op->require_subcommand(1);
  op->footer(
      "Examples:\n  cardctl operator add alice --role helpdesk\n  cardctl operator add-card alice --card-reader Yubico\n"
      "  cardctl operator list\n  cardctl operator remove alice");
  auto options = std::make_shared<OperatorOptions>();

  auto* add = op->add_subcommand("add", "Register an operator with a role from the policy's [roles]");
  add_site_options(*add, options->site);
  add_json_option(*add, ctx);
  add->add_option("name", options->name, "The operator's name (as they give it with --operator or CARDCTL_OPERATOR)")
      ->required()
      ->type_name("NAME");
  add->add_option("--role", options->role, "system_owner, issuer, helpdesk, auditor, or a role of the policy")
      ->required()
      ->type_name("ROLE");
  add->add_option("--card-reader", options->card_reader,
                  "Also enrol the operator's card in READER: it then opens the keystore with its PIN (slot 9D, P-256)")
      ->type_name("READER");
  add->footer(
      "Examples:\n  cardctl operator add alice --role helpdesk\n  cardctl operator add bob --role issuer --json\n"
      "  cardctl operator add desk --role helpdesk --card-reader Yubico   # then: cardctl list --operator-card Yubico");
  add->callback([options, &ctx] { run_operator_add(*options, ctx); });

  auto* add_card = op->add_subcommand("add-card", "Enrol an operator's card: it opens the keystore with its PIN");
  add_site_options(*add_card, options->site);
  add_json_option(*add_card, ctx);
  add_card->add_option("name", options->name, "The registered operator the card identifies")->required()->type_name("NAME");
  add_card->add_option("--card-reader", options->card_reader,
                       "The reader of the operator's card (part of a name, @NAME, or sim:PATH); its slot 9D holds a "
                       "P-256 or P-384 key")
      ->required()
      ->type_name("READER");
  add_card->footer(
      "The card's public key is read from slot 9D (no PIN needed); the keystore's file key is wrapped for it in\n"
      "keystore.cards. The operator then opens the installation with --operator-card READER and the card's PIN.\n\n"
      "Examples:\n  cardctl operator add-card alice --card-reader Yubico\n"
      "  cardctl operator add-card alice --card-reader sim:/tmp/alice.sim --json");
  add_card->callback([options, &ctx] { run_operator_add_card(*options, ctx); });

  auto* remove = op->add_subcommand("remove", "Remove an operator and their cards (not the last system owner)");
  add_site_options(*remove, options->site);
  add_json_option(*remove, ctx);
  remove->add_option("name", options->name, "The operator's name")->required()->type_name("NAME");
  remove->footer("Example:\n  cardctl operator remove alice");
  remove->callback([options, &ctx] { run_operator_remove(*options, ctx); });

  auto* list = op->add_subcommand("list", "List the operators and their roles");
  add_site_options(*list, options->site);
  add_json_option(*list, ctx);
  list->footer("Examples:\n  cardctl operator list\n  cardctl operator list --json");
  list->callback([options, &ctx] { run_operator_list(*options, ctx); });
}

namespace {
Json operator_json(const store::Operator& o) {
  return Json::object().set("name", o.name).set("role", o.role).set("added_at", o.added_at).set("added_by", o.added_by);
}
}  // namespace

namespace {
struct OperatorCard {
  std::string card_id;
  Bytes spki;
  std::string key;  // "eccp256", "eccp384"
};

// The card's id and slot 9D public key: public data, no PIN (SP 800-73-4 Part 2 §3.1; YubiKey GET METADATA).
OperatorCard read_operator_card(const Context& ctx, const std::string& reader) {
  auto connection = connect_reader(ctx, reader, transport::ShareMode::shared);
  piv::PivSession session(*connection, {.hold_transaction = true, .select_on_open = true, .trace = ctx.trace()});
  OperatorCard card;
  card.card_id = with_context("reading the operator's card", [&] { return session.card_id(); });
  card.spki = lifecycle::card_unlock_key(session, reader);
  card.key = crypto::name(crypto::public_key_info(card.spki).algorithm);
  session.close(transport::Disposition::leave);
  return card;
}

void print_card_added(const OperatorCard& card, const std::string& name, Context& ctx, Json out) {
  if (ctx.json) {
    ctx.emit(out.set("card_id", card.card_id).set("key", card.key));
  } else {
    ctx.o() << "Card " << card.card_id << " (" << card.key << " in slot 9D) opens the keystore for " << name << '\n';
  }
}
}  // namespace

void run_operator_add(const OperatorOptions& options, Context& ctx) {
  auto site = open_site(options.site, ctx, "operator");
  std::optional<OperatorCard> card;
  if (!options.card_reader.empty()) {
    // The card is read, and checked to be free, before anything changes.
    card = read_operator_card(ctx, options.card_reader);
    auto other = store::CardUnlockFile::load(site.paths.keystore_cards()).operator_of(card->card_id);
    if (!other.empty())
      throw Error(ErrorKind::conflict, "card " + card->card_id + " already opens the keystore for operator " + other,
                  "one card identifies one operator: give " + options.name + " a card of their own");
  }
  auto op = lifecycle::add_operator(site, options.site.op(), options.name, options.role);
  if (card) lifecycle::add_operator_card(site, options.site.op(), op.name, card->card_id, card->spki);
  if (ctx.json) {
    auto out = Json::object().set("ok", true).set("operator", operator_json(op));
    if (card) return print_card_added(*card, op.name, ctx, std::move(out));
    ctx.emit(out);
  } else {
    ctx.o() << "Operator " << op.name << " added with role " << op.role << '\n';
    if (card) print_card_added(*card, op.name, ctx, Json::object());
  }
}

void run_operator_add_card(const OperatorOptions& options, Context& ctx) {
  auto site = open_site(options.site, ctx, "operator");
  auto card = read_operator_card(ctx, options.card_reader);
  lifecycle::add_operator_card(site, options.site.op(), options.name, card.card_id, card.spki);
  print_card_added(card, options.name, ctx, Json::object().set("ok", true).set("operator", options.name));
}

void run_operator_remove(const OperatorOptions& options, Context& ctx) {
  auto site = open_site(options.site, ctx, "operator");
  lifecycle::remove_operator(site, options.site.op(), options.name);
  if (ctx.json) ctx.emit(Json::object().set("ok", true).set("removed", options.name));
  else ctx.o() << "Operator " << options.name << " removed\n";
}

void run_operator_list(const OperatorOptions& options, Context& ctx) {
  auto site = open_site(options.site, ctx, "operator");
  auto ops = site.inventory.list_operators();
  const auto cards = store::CardUnlockFile::load(site.paths.keystore_cards());
  auto cards_of = [&](const std::string& name) {
    std::vector<std::string> ids;
    for (const auto& e : cards.entries)
      if (e.operator_name == name) ids.push_back(e.card_id);
    return ids;
  };
  if (ctx.json) {
    Json arr = Json::array();
    for (const auto& o : ops) {
      Json ids = Json::array();
      for (const auto& id : cards_of(o.name)) ids.push(id);
      arr.push(operator_json(o).set("cards", std::move(ids)));
    }
    ctx.emit(Json::object().set("ok", true).set("operators", std::move(arr)));
    return;
  }
  if (ops.empty()) {
    ctx.note("no operators are registered: everyone may run every command; register them with cardctl operator add");
    return;
  }
  ctx.o() << fmt::format("{:<20} {:<14} {:<22} {:<20} {}\n", "NAME", "ROLE", "ADDED", "BY", "CARDS");
  for (const auto& o : ops) {
    auto ids = cards_of(o.name);
    ctx.o() << fmt::format("{:<20} {:<14} {:<22} {:<20} {}\n", o.name, o.role, o.added_at, o.added_by,
                           ids.empty() ? std::string("-") : fmt::format("{}", fmt::join(ids, ",")));
  }
}

}  // namespace cardctl::cli
