// Layer 9: replacing an installation's policy (cardctl-policy(1), APPLY): the new file is linted as `policy
// check` does and its fixed keys checked against the keystore; a policy that would orphan cards in the inventory
// is refused; the difference to the installed policy is shown as a unified diff and a summary; the new file is
// installed atomically, with an audit entry `policy applied` naming the SHA-256 of the old and the new text.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "cardctl/inventory.hpp"
#include "cardctl/policy.hpp"
#include "cardctl/site.hpp"

namespace cardctl::lifecycle {

/// A unified diff of two texts, line by line (longest common subsequence; `diff -u` format with `context` lines
/// around each change, "\ No newline at end of file" where a text lacks its last newline). Empty when the
/// texts are equal.
std::string unified_diff(std::string_view old_text, std::string_view new_text, const std::string& old_name,
                         const std::string& new_name, int context = 3);

/// What a new policy changes, by template name (sorted) and for the helpdesk rules as a whole.
struct PolicyChanges {
  std::vector<std::string> templates_added;
  std::vector<std::string> templates_removed;
  std::vector<std::string> templates_changed;  // in both, with any rule different
  bool helpdesk_changed = false;
  bool any() const {
    return !templates_added.empty() || !templates_removed.empty() || !templates_changed.empty() || helpdesk_changed;
  }
};
PolicyChanges compare_policies(const policy::Policy& installed, const policy::Policy& next);

/// A change that would leave cards of the inventory without the template their admin key comes from.
struct OrphanProblem {
  std::string template_name;
  std::size_t cards = 0;  // how many cards (any state but retired) use the template
  std::string message;    // "template 'yubikey' is used by 1 card in the inventory but is not in new.toml"
};

/// The problems of replacing `installed` by `next` given the inventory's cards: a template still used by a card
/// that is not retired must stay, with the same admin_key algorithm, diversify and fixed key (the card's admin
/// key is derived from them, or is the fixed key). Empty when nothing is orphaned. In template-name order.
std::vector<OrphanProblem> orphan_problems(const policy::Policy& installed, const policy::Policy& next,
                                           const std::vector<store::CardRecord>& cards);

/// Everything `cardctl policy apply` shows before it changes anything.
struct PolicyApplyPlan {
  std::string file;            // as given
  std::string installed_path;  // the installation's policy.toml
  std::string old_text, new_text;
  std::string old_sha256, new_sha256;  // lower-case hex of the texts
  /// The problems of the new file, as `cardctl policy check` lists them, then those of its fixed admin keys
  /// against the keystore. When there are any, nothing below is filled in.
  std::vector<policy::Diagnostic> problems;
  std::vector<OrphanProblem> orphans;
  policy::Policy installed_policy;  // parsed from old_text
  policy::Policy next_policy;       // parsed from new_text (when there are no problems)
  PolicyChanges changes;
  std::string diff;  // unified diff, installed -> new; empty when the texts are the same
  bool same_text() const { return old_text == new_text; }
};

/// The text of a policy file to apply: Error(not_found) when missing, Error(usage) for one that is not a regular
/// file or is over 1 MiB (a device or a huge file is refused, not slurped).
std::string read_policy_file(const std::string& path);

/// Reads the installed policy and fills in the plan for FILE, whose text is given (read_policy_file). Changes
/// nothing.
PolicyApplyPlan plan_policy_apply(Site& site, const std::string& file, std::string text);
/// The same, reading FILE.
PolicyApplyPlan plan_policy_apply(Site& site, const std::string& file);

/// Error(policy) with a hint when the plan has problems or orphans: the message names the first (with the count
/// of the others); the installed policy is untouched.
void require_applicable(const PolicyApplyPlan& plan);

/// Installs plan.new_text as the installation's policy and audits it (action `policy`, outcome `applied`,
/// details old_sha256, new_sha256, file, templates_added, templates_removed, templates_changed,
/// helpdesk_changed), under the inventory's write lock: the cards are listed again and the installed file read
/// again first, so a card issued or a policy applied since the plan was made is not overlooked (Error(policy),
/// Error(conflict)). On success site.policy is the new policy.
void apply_policy(Site& site, const PolicyApplyPlan& plan, const std::string& operator_name);

}  // namespace cardctl::lifecycle
