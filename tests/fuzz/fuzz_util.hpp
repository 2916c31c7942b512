// Small helpers shared by the fuzz targets: a cursor over the input, a per-process scratch file, substring search.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>

#include "cardctl/bytes.hpp"

namespace cardctl::fuzz {

/// Reads the fuzz input front to back; past the end it yields zeros / empty views.
class Input {
 public:
  Input(const std::uint8_t* data, std::size_t size) : rest_(data, size) {}
  bool empty() const { return rest_.empty(); }
  std::uint8_t byte() {
    if (rest_.empty()) return 0;
    std::uint8_t b = rest_[0];
    rest_ = rest_.subspan(1);
    return b;
  }
  std::size_t u16() { return static_cast<std::size_t>(byte()) << 8 | byte(); }
  ByteView take(std::size_t n) {
    n = std::min(n, rest_.size());
    ByteView out = rest_.first(n);
    rest_ = rest_.subspan(n);
    return out;
  }
  ByteView rest() { return take(rest_.size()); }

 private:
  ByteView rest_;
};

/// A scratch file for this process, in /dev/shm when there is one (no disk I/O per input).
inline std::string scratch_path(const std::string& name) {
  const char* dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
  return std::string(dir) + "/cardctl-fuzz-" + std::to_string(getpid()) + "-" + name;
}

inline bool contains(ByteView haystack, ByteView needle) {
  return !needle.empty() &&
         std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end()) != haystack.end();
}
inline bool contains(const std::string& haystack, const std::string& needle) {
  return !needle.empty() && haystack.find(needle) != std::string::npos;
}

/// libFuzzer reports an abort with the stack; the message says which property broke.
[[noreturn]] inline void fail(const char* what) {
  fprintf(stderr, "fuzz property violated: %s\n", what);
  std::abort();
}

}  // namespace cardctl::fuzz
