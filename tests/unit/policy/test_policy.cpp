#include <doctest/doctest.h>

#include <map>

#include "cardctl/error.hpp"
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
  CHECK(first_problem("").find("templates: at least one card template is required") != std::string::npos);
  CHECK(first_problem("[[templates.t.slots]]\nslot = \"9a\"\n").find("algorithm: is required") != std::string::npos);
  CHECK(first_problem(std::string(kMinimal) + "[helpdesk]\nquestions_enrolled = 2\n").find("questions_enrolled") !=
        std::string::npos);
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
  for (const char* bad : {"12345", "123456789", "12a456", "111111", "123456", "876543"}) {
    CAPTURE(bad);
    try {
      policy::check_new_pin(r, Pin::from_text(bad));
      FAIL("expected a refusal");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::usage);
      CHECK(std::string(e.what()).find(bad) == std::string::npos);
    }
  }
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
