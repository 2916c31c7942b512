#include <doctest/doctest.h>

#include <map>

#include "cardctl/error.hpp"
#include "cardctl/files.hpp"
#include "cardctl/policy.hpp"

using namespace cardctl;

namespace {
std::string first_problem(const std::string& text) {
  auto d = policy::check_policy_text(text, "p.toml");
  return d.empty() ? "" : d.front().to_string();
}
const char* kMinimal = "[templates.t]\n";
}  // namespace

TEST_CASE("the shipped example is valid and complete") {
  auto diags = policy::check_policy(std::string(CARDCTL_SOURCE_DIR) + "/examples/policy.toml");
  for (const auto& d : diags) MESSAGE(d.to_string());
  CHECK(diags.empty());
  auto p = policy::load_policy(std::string(CARDCTL_SOURCE_DIR) + "/examples/policy.toml");
  const auto& staff = p.card_template("staff");
  CHECK(staff.admin_algorithm == crypto::AdminAlgorithm::aes192);
  CHECK(staff.slots.size() == 2);
  CHECK(staff.slots[1].pin_policy == piv::PinPolicy::always);
  CHECK(p.helpdesk.questions.size() == 4);
  CHECK_FALSE(p.card_template("yubikey").offline_unblock);
  CHECK_THROWS_AS(p.card_template("nope"), Error);
  CHECK(p.fixed_key_references.empty());
}

TEST_CASE("the example's commented-out fixed-key template is valid once uncommented") {
  auto bytes = files::read(std::string(CARDCTL_SOURCE_DIR) + "/examples/policy.toml");
  std::string text(bytes.begin(), bytes.end());
  for (const char* line : {"# [templates.migrated]\n", "# admin_key = { algorithm = \"tdes\", diversify = false",
                           "# offline_unblock = { allowed = false, admin_pin_reset = false }\n"}) {
    auto at = text.find(line);
    REQUIRE(at != std::string::npos);
    text.erase(at, 2);
  }
  auto diags = policy::check_policy_text(text, "policy.toml");
  for (const auto& d : diags) MESSAGE(d.to_string());
  CHECK(diags.empty());
  auto p = policy::parse_policy(text, "policy.toml");
  REQUIRE(p.fixed_key_references.size() == 1);
  CHECK(p.fixed_key_references[0].key_name == "old-cms");
}

TEST_CASE("malformed TOML names the file and line") {
  CHECK(first_problem("[templates.t]\npin = { min_length = }\n").rfind("p.toml:2: ", 0) == 0);
}

TEST_CASE("unknown keys are errors, with the nearest known key suggested") {
  std::string p = first_problem("[templates.t.pin]\nmin_lenght = 6\n");
  CHECK(p == "p.toml:2: templates.t.pin.min_lenght: unknown key (did you mean 'min_length'?)");
  CHECK(first_problem("[templates.t]\ncolour = 1\n").find("unknown key") != std::string::npos);
}

TEST_CASE("values out of range or of the wrong type name the key and the bounds") {
  CHECK(first_problem("[templates.t.pin]\nmin_length = 3\n") ==
        "p.toml:2: templates.t.pin.min_length: must be between 6 and 8, got 3");
  CHECK(first_problem("[templates.t.pin]\nretries = \"three\"\n") ==
        "p.toml:2: templates.t.pin.retries: must be a whole number");
  CHECK(first_problem("[templates.t]\nadmin_key = { algorithm = \"des\" }\n").find("must be tdes, aes128") !=
        std::string::npos);
  CHECK(first_problem("[[templates.t.slots]]\nslot = \"9f\"\nalgorithm = \"eccp256\"\n").find("slots[0].slot") !=
        std::string::npos);
}

TEST_CASE("missing required parts") {
  CHECK(first_problem("") == "p.toml:1: templates: at least one card template is required");
  CHECK(first_problem("[[templates.t.slots]]\nslot = \"9a\"\n").find("algorithm: is required") != std::string::npos);
  CHECK(first_problem(std::string(kMinimal) + "[helpdesk]\nquestions_enrolled = 2\n").find("questions_enrolled") !=
        std::string::npos);
}

TEST_CASE("contradictions and duplicates inside a template are found") {
  CHECK(first_problem("[[templates.t.slots]]\nslot = \"9a\"\nalgorithm = \"eccp256\"\n"
                      "[[templates.t.slots]]\nslot = \"9A\"\nalgorithm = \"rsa2048\"\n") ==
        "p.toml:5: templates.t.slots[1].slot: slot 9A is listed twice");
  CHECK(first_problem("[templates.t.pin]\nmin_length = 8\nmax_length = 6\n").find("is greater than max_length") !=
        std::string::npos);
  // docs/architecture.md#offline-unblock: the helpdesk answers a challenge with a key derived from the master key.
  CHECK(first_problem("[templates.t]\nadmin_key = { algorithm = \"aes128\", diversify = false, fixed = \"old\" }\n") ==
        "p.toml:2: templates.t.offline_unblock.allowed: offline unblock needs a diversified admin key; set "
        "offline_unblock.allowed = false for cards with a fixed key");
  CHECK(first_problem("[templates.t]\nadmin_key = { diversify = false }\n").find("admin_key.fixed: is required") !=
        std::string::npos);
  CHECK(first_problem("[templates.t]\nadmin_key = { fixed = \"old\" }\n").find("set diversify = false") !=
        std::string::npos);
}

TEST_CASE("PUK alphabets, certificate subjects, template names and question ids are checked") {
  CHECK(first_problem("[templates.t.puk]\nalphabet = \"ABCDEFGHIJA\"\n").find("lists 'A' twice") != std::string::npos);
  CHECK(first_problem("[templates.t.puk]\nalphabet = \"ABC\"\n").find("fewer than 10") != std::string::npos);
  CHECK(first_problem("[templates.t.puk]\nalphabet = \"ABCDE FGHIJ\"\n").find("printable") != std::string::npos);
  CHECK(first_problem("[templates.t.certificate]\nsubject = \"CN={holdr}\"\n") ==
        "p.toml:2: templates.t.certificate.subject: has an unknown placeholder {holdr} (known: {name}, {holder_id}, {email})");
  CHECK(first_problem("[templates.t.certificate]\nsubject = \"CN={holder\"\n").find("unmatched brace") !=
        std::string::npos);
  CHECK(first_problem("[templates.t.certificate]\nsubject = \"{holder}\"\n").find("distinguished name") !=
        std::string::npos);
  CHECK(first_problem("[templates.\"staff cards\"]\n").find("templates.staff cards: a template name must be") !=
        std::string::npos);
  std::string helpdesk = std::string(kMinimal) + "[helpdesk]\nquestions_asked = 1\nquestions_enrolled = 1\n";
  CHECK(first_problem(helpdesk + "[[helpdesk.questions]]\nid = \"first: school\"\ntext = \"?\"\n") ==
        "p.toml:6: helpdesk.questions[0].id: must be 1 to 64 letters, digits, '-' or '_'");
  CHECK(first_problem(helpdesk + "[[helpdesk.questions]]\nid = \"q\"\ntext = \"  \"\n").find("text: must not be empty") !=
        std::string::npos);
  CHECK(first_problem(helpdesk + "[[helpdesk.questions]]\nid = \"q\"\ntext = \"Pet?\"\n").empty());
}

TEST_CASE("fixed admin keys named by templates are listed, and checked against the keystore's") {
  auto p = policy::parse_policy("[templates.a]\n[templates.legacy]\n"
                                "admin_key = { algorithm = \"tdes\", diversify = false, fixed = \"old-cms\" }\n"
                                "offline_unblock = { allowed = false }\n",
                                "p.toml");
  REQUIRE(p.fixed_key_references.size() == 1);
  CHECK(p.fixed_key_references[0].template_name == "legacy");
  CHECK(p.fixed_key_references[0].key_name == "old-cms");
  CHECK(p.fixed_key_references[0].line == 3);
  CHECK(policy::check_fixed_keys(p, {{"old-cms", crypto::AdminAlgorithm::tdes}}).empty());
  auto missing = policy::check_fixed_keys(p, {{"other", crypto::AdminAlgorithm::tdes}});
  REQUIRE(missing.size() == 1);
  CHECK(missing[0].to_string() ==
        "p.toml:3: templates.legacy.admin_key.fixed: no fixed admin key 'old-cms' in the keystore (it has: other)");
  auto wrong = policy::check_fixed_keys(p, {{"old-cms", crypto::AdminAlgorithm::aes128}});
  REQUIRE(wrong.size() == 1);
  CHECK(wrong[0].message.find("is aes128 but the template's admin_key.algorithm is tdes") != std::string::npos);
}

TEST_CASE("parse_policy throws a policy error whose hint counts the rest") {
  try {
    policy::parse_policy("[templates.t.pin]\nmin_length = 3\nmax_length = 9\n", "p.toml");
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::policy);
    CHECK(e.hint().find("1 more problem") != std::string::npos);
  }
  CHECK_THROWS_AS(policy::load_policy("/nonexistent/policy.toml"), Error);
}

TEST_CASE("new PINs are checked against the rules without echoing them") {
  policy::PinRules r;
  CHECK_NOTHROW(policy::check_new_pin(r, Pin::from_text("284719")));
  CHECK_NOTHROW(policy::check_new_pin(r, Pin::from_text("48291735")));
  for (const char* bad : {"12345", "123456789", "12a456", "12 456", "111111", "123456", "876543", "121212", "123123",
                          "12341234", "55555555"}) {
    CAPTURE(bad);
    try {
      policy::check_new_pin(r, Pin::from_text(bad));
      FAIL("expected a refusal");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::usage);
      CHECK(std::string(e.what()).find(bad) == std::string::npos);
      CHECK(e.hint().find(bad) == std::string::npos);
    }
  }
  policy::PinRules lax{6, 8, false, false, 3};
  CHECK_NOTHROW(policy::check_new_pin(lax, Pin::from_text("abcdef")));
  CHECK_NOTHROW(policy::check_new_pin(lax, Pin::from_text("111111")));
  lax.reject_trivial = true;
  CHECK_THROWS_AS(policy::check_new_pin(lax, Pin::from_text("abcdef")), Error);
  CHECK_NOTHROW(policy::check_new_pin(lax, Pin::from_text("Xk4#pQ")));
}

TEST_CASE("generated PUKs follow length and alphabet, and use the whole alphabet evenly") {
  policy::PukRules r;
  r.length = 8;
  r.alphabet = "0123456789";
  std::map<char, int> seen;
  for (int i = 0; i < 500; ++i) {
    Puk p = policy::generate_puk(r, crypto::system_random());
    REQUIRE(p.size() == 8);
    for (char c : p.text()) {
      CHECK(r.alphabet.find(c) != std::string::npos);
      ++seen[c];
    }
  }
  CHECK(seen.size() == 10);
  for (auto& [c, n] : seen) CHECK((n > 280 && n < 520));  // 400 expected each
  // A source that always yields 255 (rejected for a 10-symbol alphabet) then 7: rejection sampling skips 255.
  int calls = 0;
  Puk p = policy::generate_puk({6, "0123456789", 3}, [&](std::span<std::uint8_t> out) { out[0] = (calls++ % 2) ? 7 : 255; });
  CHECK(p.text() == "777777");
}

TEST_CASE("PUK generation has no modulo bias: every byte value once gives every symbol equally often") {
  // 256 % 10 == 6: a plain modulo would make 0..5 likelier. Rejection sampling keeps 250 of 256 values, 25 each.
  std::uint8_t next = 0;
  crypto::RandomSource counting = [&](std::span<std::uint8_t> out) {
    for (auto& b : out) b = next++;
  };
  std::map<char, int> seen;
  for (int i = 0; i < 125; ++i) {  // 1000 symbols = 4 cycles of 250 kept byte values
    Puk puk = policy::generate_puk({8, "0123456789", 3}, counting);
    for (char c : puk.text()) ++seen[c];
  }
  REQUIRE(seen.size() == 10);
  for (auto& [c, n] : seen) CHECK(n == 100);
}

TEST_CASE("PUKs use the policy's own alphabet, and rules no policy could hold are refused") {
  auto p = policy::parse_policy("[templates.t.puk]\nalphabet = \"ACEFHJKLMNPRTWXY\"\nlength = 6\n", "p.toml");
  const auto& rules = p.card_template("t").puk;
  for (int i = 0; i < 50; ++i) {
    Puk puk = policy::generate_puk(rules, crypto::system_random());
    REQUIRE(puk.size() == 6);
    for (char c : puk.text()) CHECK(rules.alphabet.find(c) != std::string::npos);
  }
  CHECK_THROWS_AS(policy::generate_puk({8, "", 3}, crypto::system_random()), Error);
  CHECK_THROWS_AS(policy::generate_puk({8, "00123456789", 3}, crypto::system_random()), Error);
  CHECK_THROWS_AS(policy::generate_puk({9, "0123456789", 3}, crypto::system_random()), Error);
}
