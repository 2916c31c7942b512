#include "policy_apply.hpp"

#include <CLI/CLI.hpp>
#include <ostream>

#include "cardctl/error.hpp"
#include "cardctl/policy.hpp"
#include "cardctl/policy_apply.hpp"
#include "json.hpp"
#include "output.hpp"

namespace cardctl::cli {

namespace {

std::string names(const std::vector<std::string>& list) {
  if (list.empty()) return "none";
  std::string out;
  for (const auto& n : list) out += (out.empty() ? "" : ", ") + n;
  return out;
}

Json name_array(const std::vector<std::string>& list) {
  Json a = Json::array();
  for (const auto& n : list) a.push(Json(n));
  return a;
}

void print_changes(std::ostream& out, const lifecycle::PolicyApplyPlan& plan) {
  out << plan.diff;
  Fields()
      .add("Templates added", names(plan.changes.templates_added))
      .add("Templates removed", names(plan.changes.templates_removed))
      .add("Templates changed", names(plan.changes.templates_changed))
      .add("Helpdesk rules", plan.changes.helpdesk_changed ? "changed" : "unchanged")
      .print(out);
}

bool confirmed(const Context& ctx, const lifecycle::PolicyApplyPlan& plan, const std::string& dir) {
  ctx.e() << "Apply " << plan.file << " as the policy of the installation in " << dir << "? [y/N] " << std::flush;
  auto line = ctx.prompter.read_stdin_line();
  if (!line) return false;
  std::string answer(line->begin(), line->end());
  return answer == "y" || answer == "Y" || answer == "yes" || answer == "YES" || answer == "Yes";
}

}  // namespace

void setup_policy_apply(CLI::App& policy, Context& ctx) {
  auto options = std::make_shared<PolicyApplyOptions>();
  auto* apply = policy.add_subcommand(
      "apply", "Replace the installation's policy with FILE: checked, compared, confirmed, installed and audited");
  apply->add_option("FILE", options->file, "The new policy file")->required()->type_name("FILE");
  apply->add_flag("--dry-run", options->dry_run, "Check FILE and show the changes; change nothing");
  apply->add_flag("--yes", options->yes, "Apply without asking (needed when stdin is not a terminal)");
  add_site_options(*apply, options->site);
  add_json_option(*apply, ctx);
  apply->footer(
      "FILE is checked as 'cardctl policy check' does, and its fixed admin keys against the keystore. A policy that\n"
      "removes a template still used by cards in the inventory (any state but retired), or changes such a\n"
      "template's admin_key (algorithm, diversify, fixed), is refused: those cards' admin keys could no longer\n"
      "be found. The difference to the installed policy is shown as a unified diff and a summary; the new file\n"
      "is installed atomically (mode 0600) with the audit entry 'policy applied' (SHA-256 of both texts).\n"
      "Exit status 0 when applied (or a dry run), 2 when not confirmed, 6 when refused.\n\n"
      "Examples:\n"
      "  cardctl policy apply new-policy.toml --dry-run\n"
      "  cardctl policy apply new-policy.toml\n"
      "  cardctl policy apply new-policy.toml --yes --operator alice --json");
  apply->callback([options, &ctx] { run_policy_apply(*options, ctx); });
}

void run_policy_apply(const PolicyApplyOptions& options, Context& ctx) {
  const bool ask = !options.yes && !options.dry_run;
  // Before the installation is opened (and a passphrase read): a script that forgot --yes learns it at once.
  if (ask && (ctx.no_prompt || !ctx.prompter.stdin_is_terminal()))
    throw Error(ErrorKind::usage,
                ctx.no_prompt ? "applying a policy needs a confirmation, and --no-prompt forbids asking for one"
                              : "applying a policy needs a confirmation, and stdin is not a terminal to ask on",
                "see the changes with --dry-run, then apply them with --yes");
  auto refuse = [&](const std::vector<policy::Diagnostic>& problems) {
    for (const auto& d : problems) ctx.e() << d.to_string() << '\n';
    const auto n = problems.size();
    throw Error(ErrorKind::policy,
                options.file + " has " + std::to_string(n) + (n == 1 ? " problem" : " problems") +
                    "; the installed policy was not changed",
                "fix the file and apply it again (cardctl policy check " + options.file + " lists the problems of the "
                "file itself; apply also checks its fixed admin keys against the keystore)");
  };
  // The file's own problems before the passphrase is asked; those of its fixed keys once the keystore is open.
  std::string text = lifecycle::read_policy_file(options.file);
  if (auto problems = policy::check_policy_text(text, options.file); !problems.empty()) refuse(problems);
  auto site = open_site(options.site, ctx, "policy");
  auto plan = lifecycle::plan_policy_apply(site, options.file, std::move(text));
  if (!plan.problems.empty()) refuse(plan.problems);
  lifecycle::require_applicable(plan);  // cards that would be orphaned

  bool applied = false;
  if (plan.same_text()) {
    ctx.note(options.file + " is the installed policy already; nothing to apply");
  } else {
    // With --json the changes are in the document; shown on stderr only when a question depends on them.
    if (!ctx.json) print_changes(ctx.o(), plan);
    else if (ask) print_changes(ctx.e(), plan);
    if (options.dry_run) {
      ctx.note("dry run: nothing was changed");
    } else {
      if (ask && !confirmed(ctx, plan, site.paths.dir))
        throw Error(ErrorKind::usage, "the policy was not applied (not confirmed)",
                    "answer y to apply it, or pass --yes");
      lifecycle::apply_policy(site, plan, options.site.op());
      applied = true;
    }
  }

  if (ctx.json) {
    Json changes = Json::object()
                       .set("templates_added", name_array(plan.changes.templates_added))
                       .set("templates_removed", name_array(plan.changes.templates_removed))
                       .set("templates_changed", name_array(plan.changes.templates_changed))
                       .set("helpdesk_changed", plan.changes.helpdesk_changed);
    ctx.emit(Json::object()
                   .set("ok", true)
                   .set("applied", applied)
                   .set("installed", plan.installed_path)
                   .set("old_sha256", plan.old_sha256)
                   .set("new_sha256", plan.new_sha256)
                   .set("changes", std::move(changes))
                   .set("diff", plan.diff));
  } else if (applied) {
    Fields().add("Applied", plan.installed_path).add("SHA-256", plan.new_sha256).print(ctx.o());
  }
}

}  // namespace cardctl::cli
