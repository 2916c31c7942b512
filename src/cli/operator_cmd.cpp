#include "operator_cmd.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cardctl/error.hpp"
#include "cardctl/operators.hpp"
#include "json.hpp"
#include "output.hpp"

namespace cardctl::cli {

void setup_operator(CLI::App& app, Context& ctx) {
  auto* op = app.add_subcommand("operator", "Register the operators and their roles (system owner)");
  op->require_subcommand(1);
  op->footer("Examples:\n  cardctl operator add alice --role helpdesk\n  cardctl operator list\n  cardctl operator remove alice");
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
  add->footer("Examples:\n  cardctl operator add alice --role helpdesk\n  cardctl operator add bob --role issuer --json");
  add->callback([options, &ctx] { run_operator_add(*options, ctx); });

  auto* remove = op->add_subcommand("remove", "Remove an operator (not the last system owner)");
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

void run_operator_add(const OperatorOptions& options, Context& ctx) {
  auto site = open_site(options.site, ctx, "operator");
  auto op = lifecycle::add_operator(site, options.site.op(), options.name, options.role);
  if (ctx.json) ctx.o() << Json::object().set("ok", true).set("operator", operator_json(op)).dump() << '\n';
  else if (!ctx.quiet) ctx.o() << "Operator " << op.name << " added with role " << op.role << '\n';
}

void run_operator_remove(const OperatorOptions& options, Context& ctx) {
  auto site = open_site(options.site, ctx, "operator");
  lifecycle::remove_operator(site, options.site.op(), options.name);
  if (ctx.json) ctx.o() << Json::object().set("ok", true).set("removed", options.name).dump() << '\n';
  else if (!ctx.quiet) ctx.o() << "Operator " << options.name << " removed\n";
}

void run_operator_list(const OperatorOptions& options, Context& ctx) {
  auto site = open_site(options.site, ctx, "operator");
  auto ops = site.inventory.list_operators();
  if (ctx.json) {
    Json arr = Json::array();
    for (const auto& o : ops) arr.push(operator_json(o));
    ctx.o() << Json::object().set("ok", true).set("operators", std::move(arr)).dump() << '\n';
    return;
  }
  if (ops.empty()) {
    ctx.note("no operators are registered: everyone may run every command; register them with cardctl operator add");
    return;
  }
  ctx.o() << fmt::format("{:<20} {:<14} {:<22} {}\n", "NAME", "ROLE", "ADDED", "BY");
  for (const auto& o : ops) ctx.o() << fmt::format("{:<20} {:<14} {:<22} {}\n", o.name, o.role, o.added_at, o.added_by);
}

}  // namespace cardctl::cli
