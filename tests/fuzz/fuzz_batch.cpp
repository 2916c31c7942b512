// A batch file (cardctl-issue(1), BATCH) never crashes the parser, whatever its bytes: it yields rows and problems,
// every problem with a line inside the file, every row with a holder id and a template the policy has.
#include <cstdlib>
#include <string>

#include "cardctl/batch.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const cardctl::policy::Policy policy = cardctl::policy::parse_policy(
      "[templates.staff]\n[templates.guest]\n[[helpdesk.questions]]\nid = \"a\"\ntext = \"A?\"\n"
      "[[helpdesk.questions]]\nid = \"b\"\ntext = \"B?\"\n[[helpdesk.questions]]\nid = \"c\"\ntext = \"C?\"\n",
      "fuzz-policy.toml");
  std::string text(reinterpret_cast<const char*>(data), size);
  int lines = 1;
  for (char c : text) lines += c == '\n';
  for (bool toml : {false, true}) {
    auto f = toml ? cardctl::lifecycle::parse_batch_toml(text, "fuzz.toml", policy, "staff")
                  : cardctl::lifecycle::parse_batch_csv(text, "fuzz.csv", policy, "staff");
    for (const auto& p : f.problems)
      if (p.line < 1 || p.line > lines || p.message.empty()) std::abort();
    for (const auto& r : f.rows)
      if (r.holder_id.empty() || !policy.templates.count(r.template_name) || r.line < 1 || r.line > lines) std::abort();
  }
  return 0;
}
