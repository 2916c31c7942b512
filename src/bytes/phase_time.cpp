#include "cardctl/phase_time.hpp"

#include <mutex>

namespace cardctl::phase_time {

namespace {
std::mutex mutex;
std::vector<std::pair<std::string, double>> totals;
}  // namespace

Scope::~Scope() {
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start_).count();
  std::lock_guard lock(mutex);
  for (auto& [name, total] : totals)
    if (name == phase_) {
      total += ms;
      return;
    }
  totals.emplace_back(phase_, ms);
}

std::vector<std::pair<std::string, double>> totals_ms() {
  std::lock_guard lock(mutex);
  return totals;
}

}  // namespace cardctl::phase_time
