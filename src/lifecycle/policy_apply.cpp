// `cardctl policy apply` (cardctl-policy(1), APPLY): lint, orphan check, diff and summary, atomic install with
// its audit entry.
#include "cardctl/policy_apply.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <sys/stat.h>

#include "cardctl/crypto.hpp"
#include "cardctl/error.hpp"
#include "cardctl/files.hpp"

namespace cardctl::lifecycle {

namespace {

// A policy is a few hundred lines; a bound keeps a device or a huge file from being slurped.
constexpr std::size_t kMaxPolicyBytes = 1u << 20;
// The LCS table of the changed middle of two texts (after their common first and last lines are set aside);
// beyond this many cells the middle is shown as removed and added, which is still a correct diff.
constexpr std::size_t kMaxLcsCells = std::size_t{1} << 22;

// Lines with their '\n' (the last one may lack it), so that a missing final newline is a difference too.
std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::size_t len = nl == std::string_view::npos ? text.size() : nl + 1;
    lines.push_back(text.substr(0, len));
    text.remove_prefix(len);
  }
  return lines;
}

struct Op {
  char tag;            // ' ' both, '-' old only, '+' new only
  std::string_view line;
  std::size_t old_at;  // old lines before this one
  std::size_t new_at;  // new lines before this one
};

std::vector<Op> edit_script(const std::vector<std::string_view>& a, const std::vector<std::string_view>& b) {
  std::size_t prefix = 0;
  while (prefix < a.size() && prefix < b.size() && a[prefix] == b[prefix]) ++prefix;
  std::size_t suffix = 0;
  while (suffix < a.size() - prefix && suffix < b.size() - prefix &&
         a[a.size() - 1 - suffix] == b[b.size() - 1 - suffix])
    ++suffix;
  const std::size_t n = a.size() - prefix - suffix, m = b.size() - prefix - suffix;

  std::vector<Op> ops;
  std::size_t i = 0, j = 0;  // absolute indices into a and b
  auto same = [&] { ops.push_back({' ', a[i], i, j}); ++i; ++j; };
  auto del = [&] { ops.push_back({'-', a[i], i, j}); ++i; };
  auto add = [&] { ops.push_back({'+', b[j], i, j}); ++j; };
  while (i < prefix) same();
  if (n > 0 && m > 0 && (n + 1) * (m + 1) <= kMaxLcsCells) {
    // lcs[x][y]: the longest common subsequence of a[prefix + x ..] and b[prefix + y ..] (middles only).
    std::vector<std::uint32_t> lcs((n + 1) * (m + 1), 0);
    auto at = [&](std::size_t x, std::size_t y) -> std::uint32_t& { return lcs[x * (m + 1) + y]; };
    for (std::size_t x = n; x-- > 0;)
      for (std::size_t y = m; y-- > 0;)
        at(x, y) = a[prefix + x] == b[prefix + y] ? at(x + 1, y + 1) + 1 : std::max(at(x + 1, y), at(x, y + 1));
    std::size_t x = 0, y = 0;
    while (x < n && y < m) {
      if (a[prefix + x] == b[prefix + y]) {
        same();
        ++x;
        ++y;
      } else if (at(x + 1, y) >= at(x, y + 1)) {  // removals before additions, as diff prints them
        del();
        ++x;
      } else {
        add();
        ++y;
      }
    }
  }
  while (i < a.size() - suffix) del();
  while (j < b.size() - suffix) add();
  while (i < a.size()) same();
  return ops;
}

// "start,count" of a hunk side as diff -u writes it: the count left out when 1; an empty side names the line
// before it.
std::string hunk_range(std::size_t first_at, std::size_t count) {
  if (count == 0) return std::to_string(first_at) + ",0";
  if (count == 1) return std::to_string(first_at + 1);
  return std::to_string(first_at + 1) + "," + std::to_string(count);
}

std::string quoted_name(crypto::AdminAlgorithm a) { return std::string("\"") + crypto::info(a).name + "\""; }

std::string cards_phrase(std::size_t n) { return std::to_string(n) + (n == 1 ? " card" : " cards"); }

std::string read_installed(const std::string& path) {
  Bytes b = files::read(path);
  return std::string(b.begin(), b.end());
}

std::string hex_sha256(std::string_view text) { return to_hex(crypto::sha256(view(text))); }

Error orphan_refusal(const std::vector<OrphanProblem>& orphans) {
  std::string message;
  for (const auto& o : orphans) message += (message.empty() ? "" : "; ") + o.message;
  const std::string& first = orphans.front().template_name;
  return Error(ErrorKind::policy, "policy not applied, it would orphan cards: " + message,
               "a card needs the template it was issued with, and that template's admin_key unchanged: keep [templates." +
                   first + "] as it is while such cards are in use (cardctl list --template " + first +
                   " lists them), retire them first (cardctl retire), or put new rules in a new template");
}

}  // namespace

std::string unified_diff(std::string_view old_text, std::string_view new_text, const std::string& old_name,
                         const std::string& new_name, int context) {
  if (old_text == new_text) return "";
  const auto a = split_lines(old_text), b = split_lines(new_text);
  const std::vector<Op> ops = edit_script(a, b);
  const std::size_t ctx = static_cast<std::size_t>(std::max(context, 0));
  const std::size_t total = ops.size();

  std::string out = "--- " + old_name + "\n+++ " + new_name + "\n";
  auto emit = [&out](char tag, std::string_view line) {
    out += tag;
    out.append(line);
    if (line.empty() || line.back() != '\n') out += "\n\\ No newline at end of file\n";
  };
  std::size_t k = 0;
  for (;;) {
    std::size_t first_change = k;
    while (first_change < total && ops[first_change].tag == ' ') ++first_change;
    if (first_change == total) break;
    std::size_t last_change = first_change;
    for (;;) {  // changes closer than twice the context share a hunk
      std::size_t next = last_change + 1;
      while (next < total && ops[next].tag == ' ') ++next;
      if (next == total || next - last_change - 1 > 2 * ctx) break;
      last_change = next;
    }
    const std::size_t begin = std::max(k, first_change >= ctx ? first_change - ctx : 0);
    const std::size_t end = std::min(total, last_change + 1 + ctx);
    std::size_t old_count = 0, new_count = 0;
    for (std::size_t x = begin; x < end; ++x) {
      if (ops[x].tag != '+') ++old_count;
      if (ops[x].tag != '-') ++new_count;
    }
    out += "@@ -" + hunk_range(ops[begin].old_at, old_count) + " +" + hunk_range(ops[begin].new_at, new_count) + " @@\n";
    for (std::size_t x = begin; x < end; ++x) emit(ops[x].tag, ops[x].line);
    k = end;
  }
  return out;
}

PolicyChanges compare_policies(const policy::Policy& installed, const policy::Policy& next) {
  PolicyChanges c;
  for (const auto& [name, tpl] : next.templates) {
    auto old = installed.templates.find(name);
    if (old == installed.templates.end()) c.templates_added.push_back(name);
    else if (!(old->second == tpl)) c.templates_changed.push_back(name);
  }
  for (const auto& [name, _] : installed.templates)
    if (next.templates.find(name) == next.templates.end()) c.templates_removed.push_back(name);
  c.helpdesk_changed = !(installed.helpdesk == next.helpdesk);
  return c;
}

std::vector<OrphanProblem> orphan_problems(const policy::Policy& installed, const policy::Policy& next,
                                           const std::vector<store::CardRecord>& cards) {
  std::map<std::string, std::size_t> in_use;  // template -> cards that are not retired
  for (const auto& c : cards)
    if (c.state != store::CardState::retired) ++in_use[c.template_name];
  std::vector<OrphanProblem> problems;
  for (const auto& [name, count] : in_use) {
    const std::string used = "template '" + name + "' is used by " + cards_phrase(count) + " in the inventory";
    auto now = next.templates.find(name);
    if (now == next.templates.end()) {
      problems.push_back({name, count, used + " but is not in " + next.source});
      continue;
    }
    auto before = installed.templates.find(name);
    if (before == installed.templates.end()) continue;  // not in the installed policy either: nothing to compare
    const auto& o = before->second;
    const auto& n = now->second;
    std::vector<std::string> changed;
    if (o.admin_algorithm != n.admin_algorithm)
      changed.push_back("admin_key.algorithm from " + quoted_name(o.admin_algorithm) + " to " + quoted_name(n.admin_algorithm));
    if (o.diversify != n.diversify)
      changed.push_back(std::string("admin_key.diversify from ") + (o.diversify ? "true" : "false") + " to " +
                        (n.diversify ? "true" : "false"));
    if (o.fixed_key != n.fixed_key && !(o.diversify && n.diversify))
      changed.push_back("admin_key.fixed from \"" + o.fixed_key + "\" to \"" + n.fixed_key + "\"");
    if (changed.empty()) continue;
    std::string what;
    for (std::size_t i = 0; i < changed.size(); ++i)
      what += (i == 0 ? "" : i + 1 == changed.size() ? " and " : ", ") + changed[i];
    problems.push_back({name, count,
                        used + ", and " + next.source + " changes its " + what +
                            ": their admin keys could no longer be found"});
  }
  return problems;
}

std::string read_policy_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    throw Error(ErrorKind::not_found, "no policy file at " + path,
                "check the path; the installed policy is the starting point: copy it, edit it, apply the copy");
  if (!S_ISREG(st.st_mode))
    throw Error(ErrorKind::usage, path + " is not a regular file", "give the policy as a file (TOML)");
  if (static_cast<std::uint64_t>(st.st_size) > kMaxPolicyBytes)
    throw Error(ErrorKind::usage, "the policy file " + path + " is over 1 MiB", "a policy is a few hundred lines; check the path");
  Bytes b = files::read(path);
  if (b.size() > kMaxPolicyBytes)
    throw Error(ErrorKind::usage, "the policy file " + path + " is over 1 MiB", "a policy is a few hundred lines; check the path");
  return std::string(b.begin(), b.end());
}

PolicyApplyPlan plan_policy_apply(Site& site, const std::string& file) {
  return plan_policy_apply(site, file, read_policy_file(file));
}

PolicyApplyPlan plan_policy_apply(Site& site, const std::string& file, std::string text) {
  PolicyApplyPlan plan;
  plan.file = file;
  plan.installed_path = site.paths.policy();
  plan.new_text = std::move(text);
  plan.old_text = read_installed(plan.installed_path);
  plan.old_sha256 = hex_sha256(plan.old_text);
  plan.new_sha256 = hex_sha256(plan.new_text);
  // The same lint as `cardctl policy check FILE`, then the fixed keys the file names against the keystore.
  plan.problems = policy::check_policy_text(plan.new_text, file);
  if (!plan.problems.empty()) return plan;
  plan.next_policy = policy::parse_policy(plan.new_text, file);
  std::map<std::string, crypto::AdminAlgorithm> keys;
  for (const auto& name : site.keystore.fixed_key_names()) keys.emplace(name, site.keystore.fixed_key(name).algorithm);
  plan.problems = policy::check_fixed_keys(plan.next_policy, keys);
  if (!plan.problems.empty()) return plan;
  plan.installed_policy = policy::parse_policy(plan.old_text, plan.installed_path);
  plan.orphans = orphan_problems(plan.installed_policy, plan.next_policy, site.inventory.list_cards());
  plan.changes = compare_policies(plan.installed_policy, plan.next_policy);
  plan.diff = unified_diff(plan.old_text, plan.new_text, plan.installed_path + " (installed)", file);
  return plan;
}

void require_applicable(const PolicyApplyPlan& plan) {
  if (!plan.problems.empty()) {
    std::string message = plan.problems.front().to_string();
    if (plan.problems.size() > 1) message += " (and " + std::to_string(plan.problems.size() - 1) + " more problems)";
    throw Error(ErrorKind::policy, message + "; the installed policy was not changed",
                "fix the file and apply it again; cardctl policy check " + plan.file + " lists every problem");
  }
  if (!plan.orphans.empty()) throw orphan_refusal(plan.orphans);
}

void apply_policy(Site& site, const PolicyApplyPlan& plan, const std::string& operator_name) {
  require_applicable(plan);
  if (plan.same_text()) return;  // nothing to install, nothing to audit
  const PolicyChanges& c = plan.changes;
  std::vector<std::pair<std::string, std::string>> details = {
      {"old_sha256", plan.old_sha256},
      {"new_sha256", plan.new_sha256},
      {"file", plan.file},
      {"templates_added", std::to_string(c.templates_added.size())},
      {"templates_removed", std::to_string(c.templates_removed.size())},
      {"templates_changed", std::to_string(c.templates_changed.size())},
      {"helpdesk_changed", c.helpdesk_changed ? "yes" : "no"},
  };
  // The order: new text to a temp file beside policy.toml (written and synced), then the audit entry, then the
  // rename. The trail must never miss a change, so the entry comes before the file is in place: a crash between
  // the two leaves the old policy installed and an entry whose new_sha256 matches no installed file (visible by
  // comparing sha256sum policy.toml with the last `policy applied` entry), rather than a new policy nobody
  // recorded. A rename that fails is recorded as `policy failed`. The temp file is removed on every failure.
  std::optional<files::StagedFile> staged;
  // Under the inventory's write lock (BEGIN IMMEDIATE): an issue that adds a card, or another apply, waits.
  site.inventory.with_transaction([&] {
    if (read_installed(plan.installed_path) != plan.old_text)
      throw Error(ErrorKind::conflict, "the installed policy " + plan.installed_path + " changed while this apply was prepared",
                  "another operator applied a policy; run cardctl policy apply again to see the new difference");
    auto orphans = orphan_problems(plan.installed_policy, plan.next_policy, site.inventory.list_cards());
    if (!orphans.empty()) throw orphan_refusal(orphans);
    staged.emplace(plan.installed_path, view(plan.new_text), 0600);
    site.audit({"", operator_name, "policy", "", "", "applied", "", details});
  });
  try {
    staged->commit();
  } catch (const Error& e) {
    try {
      site.audit({"", operator_name, "policy", "", "", "failed", std::string("not installed: ") + e.what(), details});
    } catch (const Error&) {  // the first failure is the one to report
    }
    throw Error(ErrorKind::io, std::string(e.what()) + "; the policy was not applied",
                "the audit trail records it as 'policy failed'; fix the cause and run cardctl policy apply again");
  }
  site.policy = plan.next_policy;
}

}  // namespace cardctl::lifecycle
