// Reader selection (docs/architecture.md#card-selection): --reader NAME is a case-insensitive substring, @NAME the
// exact name; "sim:PATH" names a reference card file instead of a reader.
#include <algorithm>
#include <cctype>

#include "cardctl/transport.hpp"

namespace cardctl::transport {

namespace {
std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}
}  // namespace

bool is_sim_spec(std::string_view spec) { return spec.rfind("sim:", 0) == 0; }

std::vector<ReaderInfo> match_readers(const std::vector<ReaderInfo>& readers, std::string_view pattern) {
  std::vector<ReaderInfo> out;
  bool exact = !pattern.empty() && pattern.front() == '@';
  std::string want = exact ? std::string(pattern.substr(1)) : lower(pattern);
  for (const auto& r : readers) {
    if (exact ? r.name == want : lower(r.name).find(want) != std::string::npos) out.push_back(r);
  }
  return out;
}

}  // namespace cardctl::transport
