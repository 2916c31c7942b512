// The PIN and PUK rules of a card template (docs/architecture.md#policy). SP 800-73-4 Part 2 §2.4.3: the PIV PIN and
// PUK are at most 8 bytes (padded with FF), which bounds the lengths a policy may ask for.
#include <algorithm>

#include "cardctl/error.hpp"
#include "cardctl/policy.hpp"

namespace cardctl::policy {

namespace {

bool printable(char c) { return c > 0x20 && c < 0x7F; }

// 111111, 123456, 654321, abcdef: one character repeated, or a run that steps up or down by one.
bool is_run(std::string_view p) {
  bool same = true, up = true, down = true;
  for (std::size_t i = 1; i < p.size(); ++i) {
    same = same && p[i] == p[0];
    up = up && p[i] == p[i - 1] + 1;
    down = down && p[i] == p[i - 1] - 1;
  }
  return same || up || down;
}

// 121212, 123123, 12341234: a short block said over and over.
bool is_repeated_block(std::string_view p) {
  for (std::size_t block = 1; block <= p.size() / 2; ++block) {
    if (p.size() % block != 0) continue;
    bool repeats = true;
    for (std::size_t i = block; i < p.size() && repeats; ++i) repeats = p[i] == p[i - block];
    if (repeats) return true;
  }
  return false;
}

}  // namespace

std::string puk_alphabet_problem(std::string_view alphabet) {
  if (alphabet.size() < kMinPukAlphabet) return "has fewer than " + std::to_string(kMinPukAlphabet) + " characters";
  bool seen[256] = {};
  for (char c : alphabet) {
    if (!printable(c)) return "may only hold printable ASCII characters other than space";
    auto& s = seen[static_cast<unsigned char>(c)];
    if (s) return std::string("lists '") + c + "' twice (that would make it likelier than the others)";
    s = true;
  }
  return "";
}

void check_new_pin(const PinRules& rules, const Pin& pin) {
  std::string_view p = pin.text();
  auto n = static_cast<int>(p.size());
  if (n < rules.min_length || n > rules.max_length)
    throw Error(ErrorKind::usage,
                "the new PIN must have " + std::to_string(rules.min_length) + " to " +
                    std::to_string(rules.max_length) + " characters",
                "choose a PIN of that length (the card's template sets it)");
  if (!std::all_of(p.begin(), p.end(), printable))
    throw Error(ErrorKind::usage, "the new PIN may only contain printable ASCII characters",
                "choose a PIN of letters, digits and punctuation, without spaces at the ends or control characters");
  if (rules.digits_only && !std::all_of(p.begin(), p.end(), [](char c) { return c >= '0' && c <= '9'; }))
    throw Error(ErrorKind::usage, "the new PIN must contain digits only",
                "choose a PIN of digits (the card's template asks for digits only)");
  if (rules.reject_trivial && (is_run(p) || is_repeated_block(p)))
    throw Error(ErrorKind::usage, "the new PIN is too easy to guess (repeated or consecutive characters)",
                "choose a PIN without a simple pattern");
}

Puk generate_puk(const PukRules& rules, const crypto::RandomSource& random) {
  if (rules.length < 1 || rules.length > 8) throw Error(ErrorKind::usage, "a PUK has 1 to 8 characters");
  if (auto why = puk_alphabet_problem(rules.alphabet); !why.empty())
    throw Error(ErrorKind::usage, "the PUK alphabet " + why);
  const std::size_t m = rules.alphabet.size();  // at most 94: printable and distinct
  const unsigned limit = 256 - 256 % m;  // reject bytes >= limit: each symbol gets limit / m byte values
  SecureBytes out;
  std::uint8_t b = 0;
  while (out.size() < static_cast<std::size_t>(rules.length)) {
    random(std::span<std::uint8_t>(&b, 1));
    if (b < limit) out.push_back(static_cast<std::uint8_t>(rules.alphabet[b % m]));
  }
  secure_wipe(&b, 1);
  return Puk(std::move(out));
}

}  // namespace cardctl::policy
