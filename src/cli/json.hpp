// Layer 10: a tiny JSON value for --json output (RFC 8259). Objects keep insertion order so the output reads
// in the same order as the text form. Strings are escaped; bytes that are not valid UTF-8 become U+FFFD.
#pragma once

#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace cardctl::cli {

class Json {
 public:
  using Array = std::vector<Json>;
  using Object = std::vector<std::pair<std::string, Json>>;

  Json() = default;  // null
  Json(std::nullptr_t) {}
  Json(bool b) : value_(b) {}
  template <std::integral I>
    requires(!std::same_as<I, bool>)
  Json(I i) : value_(static_cast<std::int64_t>(i)) {}
  Json(std::string s) : value_(std::move(s)) {}
  Json(std::string_view s) : value_(std::string(s)) {}
  Json(const char* s) : value_(std::string(s)) {}
  template <class T>
  Json(const std::optional<T>& v) {
    if (v) *this = Json(*v);
  }

  static Json array() { Json j; j.value_ = Array{}; return j; }
  static Json object() { Json j; j.value_ = Object{}; return j; }

  /// Adds a member to an object (keeps order; the caller does not repeat keys).
  Json& set(std::string key, Json value);
  /// Appends to an array.
  Json& push(Json value);

  /// Pretty-printed with two-space indentation, no trailing newline.
  std::string dump() const;

 private:
  void dump_to(std::string& out, int depth) const;
  std::variant<std::nullptr_t, bool, std::int64_t, std::string, Array, Object> value_{nullptr};
};

/// s as a JSON string literal, quotes included.
std::string json_quote(std::string_view s);

}  // namespace cardctl::cli
