// Layer 10: the JSON value of every --json document, on nlohmann::json (RFC 8259). Objects keep insertion order
// so the output reads in the order of the text form; bytes that are not valid UTF-8 become U+FFFD.
#pragma once

#include <concepts>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace cardctl::cli {

class Json {
 public:
  Json() = default;  // null
  Json(std::nullptr_t) {}
  Json(bool b) : value_(b) {}
  template <std::integral I>
    requires(!std::same_as<I, bool>)
  Json(I i) : value_(i) {}
  Json(std::string s) : value_(std::move(s)) {}
  Json(std::string_view s) : value_(std::string(s)) {}
  Json(const char* s) : value_(std::string(s)) {}
  template <class T>
  Json(const std::optional<T>& v) {
    if (v) *this = Json(*v);
  }

  static Json array() { Json j; j.value_ = nlohmann::ordered_json::array(); return j; }
  static Json object() { Json j; j.value_ = nlohmann::ordered_json::object(); return j; }

  /// Adds a member to an object, replacing one of the same name.
  Json& set(const std::string& key, Json value);
  /// Appends to an array.
  Json& push(Json value);
  /// Whether an object has this member.
  bool has(const std::string& key) const;

  /// Pretty-printed with two-space indentation, no trailing newline.
  std::string dump() const;

  const nlohmann::ordered_json& value() const { return value_; }
  nlohmann::ordered_json& value() { return value_; }

 private:
  nlohmann::ordered_json value_;
};

/// s as a JSON string literal, quotes included.
std::string json_quote(std::string_view s);

}  // namespace cardctl::cli
