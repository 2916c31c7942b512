// The answers file of caller identification (lifecycle/answers.hpp, cardctl-respond(1) --answers-file):
// "question-id: answer" lines.
#include <doctest/doctest.h>

#include <string>

#include "cardctl/answers.hpp"

using namespace cardctl;

namespace {
std::string text_of(const SecureString& s) { return std::string(s.begin(), s.end()); }
}  // namespace

TEST_CASE("parse_answers: one 'id: answer' per line, the answer kept as it is") {
  const std::string text = "first-school: Oak Lane\nno colon here\nfirst-street:Elm: 12\n\nlast:x";
  auto answers = lifecycle::parse_answers(view(text));
  CHECK(answers.size() == 3);
  CHECK(text_of(answers.at("first-school")) == " Oak Lane");
  CHECK(text_of(answers.at("first-street")) == "Elm: 12");
  CHECK(text_of(answers.at("last")) == "x");  // no newline at the end
}

TEST_CASE("parse_answers: empty input, and a later line for the same id wins") {
  CHECK(lifecycle::parse_answers(view(std::string())).empty());
  const std::string text = "q: one\nq: two\n";
  CHECK(text_of(lifecycle::parse_answers(view(text)).at("q")) == " two");
}
