#include "json.hpp"

#include "cardctl/error.hpp"

namespace cardctl::cli {

Json& Json::set(const std::string& key, Json value) {
  if (!value_.is_object()) throw Error(ErrorKind::internal, "Json::set on a value that is not an object");
  value_[key] = std::move(value.value_);
  return *this;
}

Json& Json::push(Json value) {
  if (!value_.is_array()) throw Error(ErrorKind::internal, "Json::push on a value that is not an array");
  value_.push_back(std::move(value.value_));
  return *this;
}

bool Json::has(const std::string& key) const { return value_.is_object() && value_.contains(key); }

std::string Json::dump() const {
  return value_.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string json_quote(std::string_view s) { return Json(s).dump(); }

}  // namespace cardctl::cli
