#include "audit_cmd.hpp"

#include <CLI/CLI.hpp>

#include "cardctl/error.hpp"
#include "cardctl/ledger.hpp"
#include "json.hpp"
#include "output.hpp"
#include "suggest.hpp"

#include <algorithm>
#include <chrono>

namespace cardctl::cli {

void setup_audit(CLI::App& app, Context& ctx) {
  auto* audit = app.add_subcommand("audit", "Verify and show the audit trail");
  audit->require_subcommand(1);
  auto options = std::make_shared<AuditOptions>();
  auto* verify = audit->add_subcommand("verify", "Check every entry's MAC, order and chain; report the first bad one");
  add_site_options(*verify, options->site);
  add_json_option(*verify, ctx);
  verify->footer("Exit status 0 when the trail is intact, 6 when it is not.\n\nExample:\n  cardctl audit verify");
  verify->callback([options, &ctx] { run_audit_verify(*options, ctx); });

  auto* show = audit->add_subcommand("show", "List audit entries");
  add_site_options(*show, options->site);
  add_json_option(*show, ctx);
  show->add_option("--card", options->filter.card_id, "Only this card id")->type_name("ID");
  show->add_option_function<std::string>(
         "--action",
         [options](const std::string& action) {
           auto known = lifecycle::known_audit_actions();
           if (std::find(known.begin(), known.end(), action) == known.end()) {
             std::string guess = closest(action, known);
             throw Error(ErrorKind::usage, "--action: '" + action + "' is not an action the audit trail records",
                         (guess.empty() ? std::string() : "did you mean '" + guess + "'? ") +
                             "see cardctl-audit(1) for the list (init, issue, respond, puc, unblock, ...)");
           }
           options->filter.action = action;
         },
         "Only this action (init, issue, respond, puc, unblock, ...; cardctl-audit(1) lists them)")
      ->type_name("ACTION");
  show->add_option("--by", options->filter.operator_name, "Only this operator")->type_name("NAME");
  show->add_option_function<std::string>(
         "--since",
         [options](const std::string& t) { options->filter.since = store::audit_time_bound(t, std::chrono::system_clock::now()); },
         "From this UTC date or time (2026-11-01, 2026-11-01T10:00), or this long ago (30m, 24h, 7d, 2w, today, yesterday)")
      ->type_name("TIME");
  show->add_option_function<std::string>(
         "--until",
         [options](const std::string& t) { options->filter.until = store::audit_time_bound(t, std::chrono::system_clock::now()); },
         "Up to this UTC date or time, inclusive; the same forms as --since")
      ->type_name("TIME");
  show->footer(
      "Examples:\n"
      "  cardctl audit show --card 12345678\n"
      "  cardctl audit show --action respond --since 2026-11-01 --json\n"
      "  cardctl audit show --since 7d --by alice");
  show->callback([options, &ctx] { run_audit_show(*options, ctx); });
}

void run_audit_verify(const AuditOptions& options, Context& ctx) {
  auto site = open_site(options.site, ctx, "audit");
  auto head = site.audit_head();
  auto trail = store::read_audit_lines(site.audit_lines(), site.keystore.audit_key(), head);
  auto& v = trail.verification;
  // The inventory's security-relevant rows: their MACs, and the card states the trail records.
  auto rows = site.inventory.check_rows();
  if (v.ok) {
    auto states = lifecycle::Ledger(trail.entries).card_states();
    for (const auto& c : site.inventory.list_cards_unverified()) {
      auto it = states.find(c.card_id);
      if (it == states.end() && c.state != store::CardState::pending && c.state != store::CardState::retired)
        rows.push_back("card " + c.card_id + " is " + store::to_string(c.state) + " in the inventory, but the trail never issued it");
      // A retired card being issued again is pending until its issuance is recorded.
      else if (it != states.end() && it->second != c.state &&
               !(it->second == store::CardState::retired && c.state == store::CardState::pending))
        rows.push_back("card " + c.card_id + " is " + store::to_string(c.state) + " in the inventory, but " +
                       store::to_string(it->second) + " in the trail");
      if (it != states.end()) states.erase(it);
    }
    for (const auto& [id, state] : states)
      rows.push_back("card " + id + " (" + store::to_string(state) + " in the trail) is missing from the inventory");
  }
  if (v.ok && !rows.empty()) {
    v.ok = false;
    v.problem = "inventory: " + rows.front() + (rows.size() > 1 ? " (and " + std::to_string(rows.size() - 1) + " more)" : "");
  }
  Json report = Json::object().set("entries", static_cast<std::int64_t>(v.entries));
  if (!v.ok) report.set("bad_line", static_cast<std::int64_t>(v.bad_line)).set("problem", v.problem);
  Json problems = Json::array();
  for (const auto& p : rows) problems.push(Json(p));
  report.set("inventory_problems", std::move(problems));
  if (!ctx.json) {
    Fields f;
    f.add("Audit trail", site.inventory.holds_audit_trail() ? site.inventory.location() : site.paths.audit()).add("Entries", std::to_string(v.entries)).add("Result", v.ok ? "intact" : v.problem);
    f.print(ctx.o());
    for (std::size_t i = 1; i < rows.size(); ++i) ctx.o() << "  also: " << rows[i] << '\n';
  }
  if (v.ok) {
    if (ctx.json) ctx.emit(std::move(report));
    return;
  }
  // Reported, not appended: an entry added to a trail that failed its check would make the trail restored from
  // backup disagree with the inventory's head, and so never verify again.
  ctx.fail(Error(ErrorKind::policy,
                 "the audit trail or the inventory in " + site.paths.dir + " has been tampered with: " + v.problem,
                 "keep the files as evidence and restore them (both together) from your backup"),
           std::move(report));
}

void run_audit_show(const AuditOptions& options, Context& ctx) {
  auto site = open_site(options.site, ctx, "audit");
  auto entries = store::query_audit_lines(site.audit_lines(), options.filter);
  if (ctx.json) {
    Json list = Json::array();
    for (const auto& e : entries) {
      Json details = Json::object();
      for (const auto& [k, v] : e.details) details.set(k, v);
      list.push(Json::object()
                    .set("seq", e.seq)
                    .set("time", e.time)
                    .set("operator", e.operator_name)
                    .set("action", e.action)
                    .set("card_id", e.card_id)
                    .set("holder_id", e.holder_id)
                    .set("outcome", e.outcome)
                    .set("reason", e.reason)
                    .set("details", std::move(details)));
    }
    ctx.emit(Json::object().set("entries", std::move(list)));
    return;
  }
  for (const auto& e : entries) {
    ctx.o() << e.time << "  " << e.operator_name << "  " << e.action << "  " << (e.card_id.empty() ? "-" : e.card_id)
            << "  " << e.outcome;
    if (!e.reason.empty()) ctx.o() << "  (" << e.reason << ")";
    ctx.o() << '\n';
  }
}

}  // namespace cardctl::cli
