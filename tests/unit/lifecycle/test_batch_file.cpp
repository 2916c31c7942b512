// The holder list of a batch (cardctl-issue(1), BATCH): CSV as spreadsheets write it, TOML, and every malformed
// row reported with its line.
#include <doctest/doctest.h>

#include "cardctl/batch.hpp"

using namespace cardctl;
using namespace cardctl::lifecycle;

namespace {
policy::Policy two_templates() {
  return policy::parse_policy("[templates.staff]\n[templates.guest]\n"
                              "[[helpdesk.questions]]\nid = \"a\"\ntext = \"A?\"\n"
                              "[[helpdesk.questions]]\nid = \"b\"\ntext = \"B?\"\n"
                              "[[helpdesk.questions]]\nid = \"c\"\ntext = \"C?\"\n",
                              "p.toml");
}
std::string problems(const BatchFile& f) {
  std::string out;
  for (const auto& p : f.problems) out += p.to_string() + "\n";
  return out;
}
}  // namespace

TEST_CASE("batch CSV: quoting, CRLF, a byte order mark, blank lines and the default template") {
  auto pol = two_templates();
  std::string text = "\xEF\xBB\xBFholder,name,email,template\r\n"
                     "1001,\"Doe, Jane\",jane@example.com,guest\r\n"
                     "\r\n"
                     "1002,\"Carl \"\"CJ\"\" Jones\",,\r\n"
                     "1003 , Bob ,,staff";
  auto f = parse_batch_csv(text, "people.csv", pol, "staff");
  CHECK(problems(f) == "");
  REQUIRE(f.rows.size() == 3);
  CHECK(f.rows[0].name == "Doe, Jane");
  CHECK(f.rows[0].template_name == "guest");
  CHECK(f.rows[0].line == 2);
  CHECK(f.rows[1].name == "Carl \"CJ\" Jones");
  CHECK(f.rows[1].template_name == "staff");
  CHECK(f.rows[1].line == 4);
  CHECK(f.rows[2].holder_id == "1003");
  CHECK(f.rows[2].name == "Bob");
}

TEST_CASE("batch CSV: every malformed row is reported with its line, the good rows kept") {
  auto pol = two_templates();
  auto f = parse_batch_csv("holder,name,template\n"
                           "1,A,staff\n"
                           ",B,staff\n"
                           "2,C\n"
                           "3,D,nosuch\n"
                           "1,E,staff\n"
                           "4,\"multi\nline\",staff\n"
                           "5,F,staff\n",
                           "people.csv", pol, "");
  CHECK(problems(f) == "people.csv:3: holder: is empty\n"
                       "people.csv:4: row: has 2 fields, the header has 3\n"
                       "people.csv:5: template: no card template 'nosuch' in the policy\n"
                       "people.csv:6: holder: holder 1 is listed already on line 2\n"
                       "people.csv:7: holder: contains a control character\n");
  REQUIRE(f.rows.size() == 2);
  CHECK(f.rows[1].holder_id == "5");
  CHECK(f.rows[1].line == 9);
}

TEST_CASE("batch CSV: a bad header, an empty file, an unclosed quote, no template anywhere") {
  auto pol = two_templates();
  CHECK(problems(parse_batch_csv("", "x.csv", pol, "staff")) ==
        "x.csv:1: header: the file is empty; it needs a header row such as: holder,name,email,template\n");
  CHECK(problems(parse_batch_csv("name,mail\nA,b\n", "x.csv", pol, "staff")) ==
        "x.csv:1: mail: unknown column (known: holder, name, email, template, reader)\n"
        "x.csv:1: holder: the header has no holder column\n");
  CHECK(problems(parse_batch_csv("holder,name\n1,\"open\n", "x.csv", pol, "staff")) ==
        "x.csv:2: row: a quoted field is not closed\n");
  CHECK(problems(parse_batch_csv("holder\n1\n", "x.csv", pol, "")) ==
        "x.csv:2: template: is empty, and no --template gives a default\n");
}

TEST_CASE("batch TOML: [[holders]] with the same keys, problems with their lines") {
  auto pol = two_templates();
  auto f = parse_batch_toml("[[holders]]\nholder = 1001\nname = \"Ann\"\n\n"
                            "[[holders]]\nholder = \"1002\"\nnmae = \"Typo\"\n\n"
                            "[[holders]]\nholder = \"1003\"\ntemplate = \"guest\"\n",
                            "people.toml", pol, "staff");
  CHECK(problems(f) == "people.toml:7: nmae: unknown key (known: holder, name, email, template, reader)\n");
  REQUIRE(f.rows.size() == 2);
  CHECK(f.rows[0].holder_id == "1001");
  CHECK(f.rows[1].template_name == "guest");
  CHECK(problems(parse_batch_toml("holders = 3\n", "p.toml", pol, "staff")) == "p.toml:1: holders: no [[holders]] tables\n");
}
