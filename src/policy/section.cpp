#include "section.hpp"

#include <algorithm>

namespace cardctl::policy {

namespace {
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}
}  // namespace

std::string_view nearest(std::string_view name, std::initializer_list<std::string_view> candidates) {
  std::string_view best;
  std::size_t best_d = 3;
  for (auto cand : candidates) {
    std::size_t d = edit_distance(name, cand);
    if (d < best_d) best_d = d, best = cand;
  }
  return best;
}

void Section::problem(const toml::node* at, const std::string& key, const std::string& msg) const {
  int at_line = at != nullptr ? static_cast<int>(at->source().begin.line) : line();
  diags_.push_back({source_, std::max(at_line, 1), key, msg});
}

std::string Section::key(std::string_view k) const {
  return path_.empty() ? std::string(k) : path_ + "." + std::string(k);
}

const toml::node* Section::get(std::string_view k) {
  used_.insert(std::string(k));
  return t_.get(k);
}

void Section::integer(std::string_view k, int& out, int lo, int hi) {
  const toml::node* n = get(k);
  if (n == nullptr) return;
  if (!n->is_integer()) return problem(n, key(k), "must be a whole number");
  std::int64_t v = *n->value<std::int64_t>();
  if (v < lo || v > hi)
    return problem(n, key(k), "must be between " + std::to_string(lo) + " and " + std::to_string(hi) + ", got " +
                                  std::to_string(v));
  out = static_cast<int>(v);
}

void Section::boolean(std::string_view k, bool& out) {
  const toml::node* n = get(k);
  if (n == nullptr) return;
  if (!n->is_boolean()) return problem(n, key(k), "must be true or false");
  out = *n->value<bool>();
}

bool Section::text(std::string_view k, std::string& out, bool required) {
  const toml::node* n = get(k);
  if (n == nullptr) {
    if (required) problem(nullptr, key(k), "is required");
    return false;
  }
  if (!n->is_string()) {
    problem(n, key(k), "must be a string");
    return false;
  }
  out = *n->value<std::string>();
  return true;
}

bool Section::strings(std::string_view k, std::vector<std::string>& out) {
  const toml::node* n = get(k);
  if (n == nullptr) return false;
  const toml::array* a = n->as_array();
  bool ok = a != nullptr;
  if (ok)
    for (const auto& e : *a) ok = ok && e.is_string();
  if (!ok) {
    problem(n, key(k), "must be a list of strings, e.g. [\"a\", \"b\"]");
    return false;
  }
  out.clear();
  for (const auto& e : *a) out.push_back(*e.value<std::string>());
  return true;
}

const toml::table* Section::table(std::string_view k) {
  const toml::node* n = get(k);
  if (n == nullptr) return nullptr;
  if (!n->is_table()) {
    problem(n, key(k), "must be a table");
    return nullptr;
  }
  return n->as_table();
}

const toml::array* Section::array(std::string_view k) {
  const toml::node* n = get(k);
  if (n == nullptr) return nullptr;
  if (!n->is_array()) {
    problem(n, key(k), "must be an array of tables ([[" + key(k) + "]])");
    return nullptr;
  }
  return n->as_array();
}

void Section::each_table(std::string_view k, const std::function<void(Section&, const toml::table&)>& fn) {
  const toml::array* items = array(k);
  if (items == nullptr) return;
  for (std::size_t i = 0; i < items->size(); ++i) {
    std::string item = std::string(k) + "[" + std::to_string(i) + "]";
    const toml::node& node = (*items)[i];
    if (!node.is_table()) {
      problem(&node, key(item), "must be a table");
      continue;
    }
    Section s = sub(*node.as_table(), item);
    fn(s, *node.as_table());
  }
}

void Section::finish(std::initializer_list<std::string_view> known) {
  for (const auto& [k, node] : t_) {
    std::string name(k.str());
    if (used_.count(name)) continue;
    std::string msg = "unknown key";
    if (auto best = nearest(name, known); !best.empty()) msg += " (did you mean '" + std::string(best) + "'?)";
    problem(&node, key(name), msg);
  }
}

}  // namespace cardctl::policy
