// Policy loading never crashes on any text: it returns a policy or problems with file, line and key.
#include <string>

#include "cardctl/error.hpp"
#include "cardctl/policy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  cardctl::policy::check_policy_text(text, "fuzz.toml");
  return 0;
}
