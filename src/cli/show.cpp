#include "show.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <fmt/format.h>

#include "cardctl/card_admin.hpp"
#include "cardctl/error.hpp"
#include "cardctl/ledger.hpp"
#include "cardctl/x509.hpp"
#include "json.hpp"
#include "list.hpp"
#include "output.hpp"

namespace cardctl::cli {

void setup_show(CLI::App& app, Context& ctx) {
  auto options = std::make_shared<ShowOptions>();
  auto* sub = app.add_subcommand("show", "Show one card: holder, state, offline unblocks used, and its history");
  add_json_option(*sub, ctx);
  add_site_options(*sub, options->site);
  sub->add_option("CARD", options->card_id, "The card id (cardctl list shows them)")->required()->type_name("ID");
  sub->footer(
      "The offline unblocks are counted as respond counts them against the policy's limit; the history is every\n"
      "entry of the verified audit trail about the card, oldest first.\n\n"
      "Examples:\n"
      "  cardctl show 12345678\n"
      "  cardctl show 12345678 --json | jq '.unblocks'");
  sub->callback([options, &ctx] { run_show(*options, ctx); });
}

namespace {
// The details worth a glance on one line: the reason, then key=value (the session id only ties entries together).
std::string summary(const store::AuditEntry& e) {
  std::string out = e.reason;
  for (const auto& [key, value] : e.details) {
    if (key == lifecycle::audit_words::session) continue;
    out += (out.empty() ? "" : " ") + key + "=" + value;
  }
  return out;
}
}  // namespace

void run_show(const ShowOptions& options, Context& ctx) {
  auto site = open_site(options.site, ctx, "show");
  auto d = lifecycle::show_card(site, options.card_id);
  const auto& c = d.card;
  if (ctx.json) {
    Json history = Json::array();
    for (const auto& e : d.history) {
      Json details = Json::object();
      for (const auto& [key, value] : e.details) details.set(key, value);
      history.push(Json::object()
                       .set("time", e.time)
                       .set("action", e.action)
                       .set("outcome", e.outcome)
                       .set("operator", e.operator_name)
                       .set("reason", e.reason)
                       .set("details", std::move(details)));
    }
    Json out = Json::object().set("ok", true);
    add_card_fields(out, c, d.holder);
    Json slots = Json::array();
    for (const auto& cert : d.certificates) {
      auto info = crypto::certificate_info(cert.der);
      slots.push(Json::object()
                     .set("slot", to_hex(Bytes{cert.slot}))
                     .set("subject", info.subject)
                     .set("issuer", info.issuer)
                     .set("serial", info.serial_hex)
                     .set("not_after", info.not_after)
                     .set("certificate", crypto::der_to_pem(cert.der, "CERTIFICATE")));
    }
    out.set("slots", std::move(slots));
    if (!d.issuance_step.empty()) out.set("issuance_step", d.issuance_step);
    out.set("unblocks", Json::object()
                            .set("used", d.unblocks_used)
                            .set("allowed", d.unblocks_allowed)
                            .set("period_days", d.period_days));
    out.set("puk_rotation_due", d.puk_rotation_due);
    out.set("history", std::move(history));
    ctx.emit(out);
    return;
  }
  Fields f;
  f.add("Card", c.card_id).add("Holder", c.holder_id.empty() ? "-" : c.holder_id);
  if (d.holder) f.add("Name", d.holder->name);
  f.add("State", store::to_string(c.state)).add("Template", c.template_name);
  f.add("Admin key", std::string(crypto::info(c.algorithm).display) + ", version " + std::to_string(c.key_version));
  f.add("Issued", c.issued_at).add("Updated", c.updated_at);
  f.add("Offline unblocks", fmt::format("{} of {} in the last {} days", d.unblocks_used, d.unblocks_allowed, d.period_days));
  if (d.puk_rotation_due) f.add("PUK", "disclosed or used: replace it when the card comes in (cardctl puc rotate)");
  if (!d.issuance_step.empty()) f.add("Issuance", "stopped after step '" + d.issuance_step + "'");
  for (const auto& cert : d.certificates) {
    auto info = crypto::certificate_info(cert.der);
    f.add("Slot " + to_hex(Bytes{cert.slot}), info.subject + ", until " + info.not_after + " (issuer " + info.issuer + ")");
  }
  f.print(ctx.o());
  ctx.o() << "History:\n";
  std::size_t action = 0, outcome = 0, op = 0;
  for (const auto& e : d.history) {
    action = std::max(action, e.action.size());
    outcome = std::max(outcome, e.outcome.size());
    op = std::max(op, e.operator_name.size());
  }
  for (const auto& e : d.history) {
    std::string line = fmt::format("  {}  {:<{}}  {:<{}}  {:<{}}  {}", e.time, e.action, action, e.outcome, outcome,
                                   e.operator_name, op, summary(e));
    line.erase(line.find_last_not_of(' ') + 1);
    ctx.o() << line << '\n';
  }
}

}  // namespace cardctl::cli
