// Code parsing never crashes; a parsed code formats back to something that parses to the same bytes.
#include <cstdlib>
#include <string>

#include "cardctl/codes.hpp"
#include "cardctl/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace cardctl;
  std::string text(reinterpret_cast<const char*>(data), size);
  for (std::size_t n : {std::size_t{8}, std::size_t{16}}) {
    try {
      auto p = codes::parse(text, "12345678", n);
      auto f = codes::format("12345678", p.bytes);
      if (codes::parse(f.code + " " + f.check, "12345678", n).bytes != p.bytes) std::abort();
    } catch (const Error&) {
    }
  }
  return 0;
}
