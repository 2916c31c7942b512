// Where a command's time goes, by phase (keystore, inventory, answers, audit): `cardctl --verbose` prints it, and
// bench/run.sh reads it to split the cost of `respond` (docs/architecture.md#performance). A phase is a scope;
// the totals are per process and safe to add to from several threads. Phases do not nest: an inner one would be
// counted in its outer one as well.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace cardctl::phase_time {

class Scope {
 public:
  explicit Scope(const char* phase) : phase_(phase), start_(std::chrono::steady_clock::now()) {}
  ~Scope();
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;

 private:
  const char* phase_;
  std::chrono::steady_clock::time_point start_;
};

/// The phases that took time in this process, in the order they first ran, with their total milliseconds.
std::vector<std::pair<std::string, double>> totals_ms();

}  // namespace cardctl::phase_time
