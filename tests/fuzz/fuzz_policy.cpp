// Policy loading never crashes on any text: it returns a policy or problems with file, line and key. A policy
// that passes validation always yields rules that PUK generation and the PIN check accept.
#include <cstdlib>
#include <string>

#include "cardctl/error.hpp"
#include "cardctl/policy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto diags = cardctl::policy::check_policy_text(text, "fuzz.toml");
  for (const auto& d : diags)
    if (d.line < 1 || d.message.empty()) std::abort();
  if (!diags.empty()) return 0;
  auto policy = cardctl::policy::parse_policy(text, "fuzz.toml");
  std::uint8_t next = 0;
  cardctl::crypto::RandomSource counting = [&](std::span<std::uint8_t> out) {
    for (auto& b : out) b = next++;
  };
  for (const auto& [name, tpl] : policy.templates) {
    cardctl::Puk puk = cardctl::policy::generate_puk(tpl.puk, counting);
    if (static_cast<int>(puk.size()) != tpl.puk.length) std::abort();
    try {
      cardctl::policy::check_new_pin(tpl.pin, cardctl::Pin::from_text("48291735"));
    } catch (const cardctl::Error&) {  // a rule may refuse it; it must say so with an Error, nothing else
    }
  }
  return 0;
}
