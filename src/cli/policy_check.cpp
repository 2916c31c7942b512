#include "policy_check.hpp"

#include <CLI/CLI.hpp>

#include "cardctl/error.hpp"
#include "cardctl/policy.hpp"
#include "json.hpp"
#include "policy_apply.hpp"

namespace cardctl::cli {

void setup_policy(CLI::App& app, Context& ctx) {
  auto* policy = app.add_subcommand("policy", "Check a policy file, or apply one to the installation");
  policy->require_subcommand(1);
  auto options = std::make_shared<PolicyCheckOptions>();
  auto* check = policy->add_subcommand("check", "Check a policy file; list every problem with file, line and key");
  check->add_option("FILE", options->file, "The policy file")->required()->type_name("FILE");
  add_json_option(*check, ctx);
  check->footer("Exit status 0 when the file is valid, 6 when it has problems.\n\nExample:\n"
                "  cardctl policy check examples/policy.toml");
  check->callback([options, &ctx] { run_policy_check(*options, ctx); });
  setup_policy_apply(*policy, ctx);
}

void run_policy_check(const PolicyCheckOptions& options, Context& ctx) {
  auto diags = policy::check_policy(options.file);
  Json report = Json::object().set("file", options.file);
  Json list = Json::array();
  for (const auto& d : diags)
    list.push(Json::object().set("file", d.source).set("line", d.line).set("key", d.key).set("message", d.message));
  report.set("problems", std::move(list));
  if (!ctx.json)
    for (const auto& d : diags) ctx.o() << d.to_string() << '\n';
  if (!diags.empty()) {
    return ctx.fail(Error(ErrorKind::policy,
                          std::to_string(diags.size()) + " problem(s) in the policy " + options.file,
                          "fix each one at the line shown, then check again"),
                    std::move(report));
  }
  if (ctx.json) ctx.emit(std::move(report));
  else ctx.done(options.file + ": no problems");
}

}  // namespace cardctl::cli
