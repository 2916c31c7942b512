// `cardctl policy apply` in the lifecycle layer: the line diff (diff -u format), the summary of changes, the check
// that no card of the inventory loses its template or admin key, and the install with its audit entry.
#include <doctest/doctest.h>

#include "test_site.hpp"

#include <cstdlib>
#include <filesystem>
#include <sys/stat.h>

#include "cardctl/crypto.hpp"
#include "cardctl/error.hpp"
#include "cardctl/files.hpp"
#include "cardctl/policy_apply.hpp"

using namespace cardctl;
using namespace cardctl::lifecycle;

namespace {

std::string example_text() {
  Bytes b = files::read(std::string(CARDCTL_SOURCE_DIR) + "/examples/policy.toml");
  return std::string(b.begin(), b.end());
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

std::string without_yubikey(const std::string& text) {
  auto begin = text.find("[templates.yubikey]");
  REQUIRE(begin != std::string::npos);
  auto end = text.find("offline_unblock = { allowed = false, admin_pin_reset = false }\n", begin);
  REQUIRE(end != std::string::npos);
  std::string out = text;
  return out.erase(begin, end + std::string("offline_unblock = { allowed = false, admin_pin_reset = false }\n").size() - begin);
}

policy::Policy parsed(const std::string& text, const std::string& source = "new.toml") {
  return policy::parse_policy(text, source);
}

store::CardRecord card(const std::string& id, const std::string& tpl, store::CardState state) {
  store::CardRecord c;
  c.card_id = id;
  c.template_name = tpl;
  c.state = state;
  return c;
}

std::string lines(int from, int to) {  // "line N\n" for N in [from, to]
  std::string out;
  for (int i = from; i <= to; ++i) out += "line " + std::to_string(i) + "\n";
  return out;
}

}  // namespace

TEST_CASE("unified_diff: equal texts give nothing") {
  CHECK(unified_diff("", "", "a", "b").empty());
  CHECK(unified_diff("x\ny\n", "x\ny\n", "a", "b").empty());
}

TEST_CASE("unified_diff: one changed line, with three lines of context") {
  std::string old_text = lines(1, 10);
  std::string new_text = replaced(old_text, "line 5\n", "line five\n");
  CHECK(unified_diff(old_text, new_text, "old.toml", "new.toml") ==
        "--- old.toml\n+++ new.toml\n"
        "@@ -2,7 +2,7 @@\n"
        " line 2\n line 3\n line 4\n-line 5\n+line five\n line 6\n line 7\n line 8\n");
}

TEST_CASE("unified_diff: changes far apart are separate hunks, close ones share one") {
  std::string old_text = lines(1, 20);
  std::string far = replaced(replaced(old_text, "line 2\n", "LINE 2\n"), "line 18\n", "LINE 18\n");
  CHECK(unified_diff(old_text, far, "a", "b") ==
        "--- a\n+++ b\n"
        "@@ -1,5 +1,5 @@\n line 1\n-line 2\n+LINE 2\n line 3\n line 4\n line 5\n"
        "@@ -15,6 +15,6 @@\n line 15\n line 16\n line 17\n-line 18\n+LINE 18\n line 19\n line 20\n");
  // Six unchanged lines between two changes (twice the context) still make one hunk.
  std::string close = replaced(replaced(old_text, "line 5\n", "LINE 5\n"), "line 12\n", "LINE 12\n");
  std::string d = unified_diff(old_text, close, "a", "b");
  CHECK(d.find("@@ -2,14 +2,14 @@\n") != std::string::npos);
  CHECK(d.find("@@ -", d.find("@@ -") + 1) == std::string::npos);
  // Seven make two.
  std::string apart = replaced(replaced(old_text, "line 5\n", "LINE 5\n"), "line 13\n", "LINE 13\n");
  d = unified_diff(old_text, apart, "a", "b");
  CHECK(d.find("@@ -2,7 +2,7 @@\n") != std::string::npos);
  CHECK(d.find("@@ -10,7 +10,7 @@\n") != std::string::npos);
}

TEST_CASE("unified_diff: additions, removals, empty sides and a missing last newline") {
  CHECK(unified_diff("a\nb\n", "a\nb\nc\n", "x", "y") == "--- x\n+++ y\n@@ -1,2 +1,3 @@\n a\n b\n+c\n");
  CHECK(unified_diff("a\nb\nc\n", "a\nc\n", "x", "y") == "--- x\n+++ y\n@@ -1,3 +1,2 @@\n a\n-b\n c\n");
  CHECK(unified_diff("", "a\nb\n", "x", "y") == "--- x\n+++ y\n@@ -0,0 +1,2 @@\n+a\n+b\n");
  CHECK(unified_diff("a\n", "", "x", "y") == "--- x\n+++ y\n@@ -1 +0,0 @@\n-a\n");
  CHECK(unified_diff("a\nb", "a\nb\n", "x", "y") ==
        "--- x\n+++ y\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n");
  // Insertion in the middle of many lines: the common start and end are context, not changes.
  std::string old_text = lines(1, 8);
  std::string new_text = replaced(old_text, "line 5\n", "line 5\nnew a\nnew b\n");
  CHECK(unified_diff(old_text, new_text, "x", "y") ==
        "--- x\n+++ y\n@@ -3,6 +3,8 @@\n line 3\n line 4\n line 5\n+new a\n+new b\n line 6\n line 7\n line 8\n");
}

TEST_CASE("unified_diff: a moved block is one removal and one addition (longest common subsequence)") {
  std::string d = unified_diff("a\nb\nc\nd\n", "b\nc\nd\na\n", "x", "y");
  CHECK(d == "--- x\n+++ y\n@@ -1,4 +1,4 @@\n-a\n b\n c\n d\n+a\n");
}

TEST_CASE("compare_policies: templates added, removed and changed; helpdesk rules") {
  const std::string text = example_text();
  auto installed = parsed(text, "policy.toml");
  CHECK_FALSE(compare_policies(installed, parsed(text)).any());
  // A comment is not a change.
  CHECK_FALSE(compare_policies(installed, parsed("# a comment\n" + text)).any());

  std::string next = without_yubikey(text);
  next = replaced(next, "min_length = 6          # 6..8 (PIV stores at most 8 bytes)", "min_length = 7");
  next = replaced(next, "unblocks_per_period = 3", "unblocks_per_period = 5");
  next += "\n[templates.kiosk]\nadmin_key = { algorithm = \"aes256\" }\n";
  auto c = compare_policies(installed, parsed(next));
  CHECK(c.templates_added == std::vector<std::string>{"kiosk"});
  CHECK(c.templates_removed == std::vector<std::string>{"yubikey"});
  CHECK(c.templates_changed == std::vector<std::string>{"staff"});
  CHECK(c.helpdesk_changed);
  CHECK(c.any());
}

TEST_CASE("orphan_problems: a template still used by cards must stay") {
  const std::string text = example_text();
  auto installed = parsed(text, "policy.toml");
  auto next = parsed(without_yubikey(text));
  using S = store::CardState;

  CHECK(orphan_problems(installed, next, {}).empty());
  CHECK(orphan_problems(installed, next, {card("1", "staff", S::active)}).empty());
  // Retired cards do not count; pending, active and revoked ones do.
  CHECK(orphan_problems(installed, next, {card("1", "yubikey", S::retired)}).empty());
  auto p = orphan_problems(installed, next,
                           {card("1", "yubikey", S::active), card("2", "yubikey", S::pending),
                            card("3", "yubikey", S::revoked), card("4", "yubikey", S::retired),
                            card("5", "staff", S::active)});
  REQUIRE(p.size() == 1);
  CHECK(p[0].template_name == "yubikey");
  CHECK(p[0].cards == 3);
  CHECK(p[0].message == "template 'yubikey' is used by 3 cards in the inventory but is not in new.toml");
  auto one = orphan_problems(installed, next, {card("1", "yubikey", S::active)});
  REQUIRE(one.size() == 1);
  CHECK(one[0].message == "template 'yubikey' is used by 1 card in the inventory but is not in new.toml");
}

TEST_CASE("orphan_problems: the admin key of a template in use must not change") {
  const std::string text = example_text();
  auto installed = parsed(text, "policy.toml");
  const std::vector<store::CardRecord> cards = {card("1", "yubikey", store::CardState::active)};
  const std::string yk = "admin_key = { algorithm = \"tdes\", diversify = true }";

  auto alg = orphan_problems(installed, parsed(replaced(text, yk, "admin_key = { algorithm = \"aes128\", diversify = true }")), cards);
  REQUIRE(alg.size() == 1);
  CHECK(alg[0].message == "template 'yubikey' is used by 1 card in the inventory, and new.toml changes its "
                          "admin_key.algorithm from \"tdes\" to \"aes128\": their admin keys could no longer be found");

  auto fixed = orphan_problems(
      installed, parsed(replaced(text, yk, "admin_key = { algorithm = \"tdes\", diversify = false, fixed = \"old\" }")), cards);
  REQUIRE(fixed.size() == 1);
  CHECK(fixed[0].message.find("admin_key.diversify from true to false and admin_key.fixed from \"\" to \"old\"") !=
        std::string::npos);

  // From one fixed key to another.
  std::string with_fixed = replaced(text, yk, "admin_key = { algorithm = \"tdes\", diversify = false, fixed = \"a\" }");
  auto other = orphan_problems(parsed(with_fixed, "policy.toml"), parsed(replaced(with_fixed, "fixed = \"a\"", "fixed = \"b\"")), cards);
  REQUIRE(other.size() == 1);
  CHECK(other[0].message.find("admin_key.fixed from \"a\" to \"b\"") != std::string::npos);

  // Anything else of the template may change: PIN rules, PUK, slots, offline unblock.
  auto pin = orphan_problems(installed, parsed(replaced(text, "retries = 5 }", "retries = 4 }")), cards);
  CHECK(pin.empty());
  // And the admin key of a template without cards.
  CHECK(orphan_problems(installed, parsed(replaced(text, yk, "admin_key = { algorithm = \"aes256\" }")),
                        {card("1", "yubikey", store::CardState::retired)})
            .empty());
}

namespace {
struct SiteWorld : testing::TestSite {
  SiteWorld() : TestSite("cardctl-policy-apply") {}
  std::string write(const std::string& name, const std::string& text) {
    std::string path = dir + "/" + name;
    files::write_atomic(path, view(text), 0644);
    return path;
  }
  std::string installed() {
    Bytes b = files::read(paths.policy());
    return std::string(b.begin(), b.end());
  }
  bool temp_files_left() {
    for (const auto& entry : std::filesystem::directory_iterator(paths.dir))
      if (entry.path().filename().string().find(".tmp") != std::string::npos) return true;
    return false;
  }
};
}  // namespace

TEST_CASE("plan_policy_apply and apply_policy: refused, then installed with its audit entry") {
  SiteWorld w;
  Site& site = *w.site;
  site.inventory.add_card(card("41001", "yubikey", store::CardState::pending));
  const std::string text = example_text();
  const std::string before = w.installed();

  // A lint problem: listed with file and line; nothing changes.
  const std::string bad_path = w.write("bad.toml", replaced(text, "min_length = 6          # 6..8 (PIV stores at most 8 bytes)", "min_length = 3"));
  auto bad = plan_policy_apply(site, bad_path);
  REQUIRE(bad.problems.size() == 1);
  CHECK(bad.problems[0].source == bad_path);
  CHECK(bad.problems[0].line == 17);
  CHECK(bad.problems[0].key == "templates.staff.pin.min_length");
  CHECK_THROWS_AS(require_applicable(bad), Error);
  CHECK_THROWS_AS(apply_policy(site, bad, "tester"), Error);
  CHECK(w.installed() == before);

  // A fixed key the keystore does not have.
  auto nokey = plan_policy_apply(
      site, w.write("nokey.toml", text + "\n[templates.migrated]\nadmin_key = { algorithm = \"tdes\", diversify = false, "
                                         "fixed = \"old-cms\" }\noffline_unblock = { allowed = false }\n"));
  REQUIRE(nokey.problems.size() == 1);
  CHECK(nokey.problems[0].message.find("no fixed admin key 'old-cms' in the keystore") != std::string::npos);

  // Orphans: refused with Error(policy).
  auto orphan = plan_policy_apply(site, w.write("orphan.toml", without_yubikey(text)));
  CHECK(orphan.problems.empty());
  REQUIRE(orphan.orphans.size() == 1);
  try {
    apply_policy(site, orphan, "tester");
    FAIL("not refused");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::policy);
    CHECK(std::string(e.what()).find("template 'yubikey' is used by 1 card") != std::string::npos);
    CHECK_FALSE(e.hint().empty());
  }
  CHECK(w.installed() == before);

  // A valid change.
  const std::string next = replaced(text, "unblocks_per_period = 3", "unblocks_per_period = 5") +
                           "\n[templates.kiosk]\nadmin_key = { algorithm = \"aes256\" }\n";
  auto plan = plan_policy_apply(site, w.write("next.toml", next));
  CHECK(plan.problems.empty());
  CHECK(plan.orphans.empty());
  CHECK(plan.changes.templates_added == std::vector<std::string>{"kiosk"});
  CHECK(plan.changes.helpdesk_changed);
  CHECK(plan.diff.find("-unblocks_per_period = 3") != std::string::npos);
  CHECK(plan.diff.find("+unblocks_per_period = 5") != std::string::npos);
  CHECK(plan.old_sha256 == to_hex(crypto::sha256(view(before))));
  CHECK(plan.new_sha256 == to_hex(crypto::sha256(view(next))));
  CHECK(w.installed() == before);  // planning changes nothing

  // The installed file changed after the plan was made: refused, nothing audited.
  auto head = site.audit_head();
  files::write_atomic(w.paths.policy(), view(before + "# edited\n"));
  CHECK_THROWS_AS(apply_policy(site, plan, "tester"), Error);
  CHECK(site.audit_head()->seq == head->seq);
  files::write_atomic(w.paths.policy(), view(before));

  // A card issued with a template since the plan was made is seen under the lock.
  auto stale = plan_policy_apply(site, w.write("stale.toml", replaced(text, "algorithm = \"aes192\"", "algorithm = \"aes256\"")));
  CHECK(stale.orphans.empty());  // no staff card yet
  CHECK(stale.changes.templates_changed == std::vector<std::string>{"staff"});
  site.inventory.add_card(card("41002", "staff", store::CardState::pending));
  CHECK_THROWS_AS(apply_policy(site, stale, "tester"), Error);
  CHECK(w.installed() == before);
  CHECK(site.audit_head()->seq == head->seq);
  CHECK_FALSE(w.temp_files_left());

  apply_policy(site, plan, "alice");
  CHECK(w.installed() == next);
  struct stat st {};
  REQUIRE(::stat(w.paths.policy().c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(site.policy.helpdesk.unblocks_per_period == 5);
  CHECK(site.policy.templates.count("kiosk") == 1);
  CHECK_FALSE(w.temp_files_left());

  auto trail = site.verified_audit();
  REQUIRE_FALSE(trail.empty());
  const auto& e = trail.back();
  CHECK(e.action == "policy");
  CHECK(e.outcome == "applied");
  CHECK(e.operator_name == "alice");
  CHECK(e.detail("old_sha256") == plan.old_sha256);
  CHECK(e.detail("new_sha256") == plan.new_sha256);
  CHECK(e.detail("templates_added") == "1");
  CHECK(e.detail("templates_removed") == "0");
  CHECK(e.detail("templates_changed") == "0");
  CHECK(e.detail("helpdesk_changed") == "yes");

  // The same text again: nothing installed, nothing audited.
  auto again = plan_policy_apply(site, w.write("again.toml", next));
  CHECK(again.same_text());
  CHECK(again.diff.empty());
  apply_policy(site, again, "alice");
  CHECK(site.verified_audit().size() == trail.size());

  // A missing file.
  try {
    plan_policy_apply(site, w.dir + "/missing.toml");
    FAIL("no error");
  } catch (const Error& e2) {
    CHECK(e2.kind() == ErrorKind::not_found);
  }
}
