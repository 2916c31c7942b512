#include <doctest/doctest.h>

#include "json.hpp"

using cardctl::cli::Json;
using cardctl::cli::json_quote;

TEST_CASE("json_quote escapes what RFC 8259 requires and keeps UTF-8") {
  CHECK(json_quote("plain") == "\"plain\"");
  CHECK(json_quote("a\"b\\c") == "\"a\\\"b\\\\c\"");
  CHECK(json_quote("line\nnext\ttab\r") == "\"line\\nnext\\ttab\\r\"");
  CHECK(json_quote(std::string("nul\0x", 5)) == "\"nul\\u0000x\"");
  CHECK(json_quote("\x1b[31m") == "\"\\u001b[31m\"");
  CHECK(json_quote("Jos\xC3\xA9 \xE2\x82\xAC") == "\"Jos\xC3\xA9 \xE2\x82\xAC\"");
}

TEST_CASE("json_quote replaces bytes that are not UTF-8 with U+FFFD") {
  const std::string fffd = "\xEF\xBF\xBD";  // U+FFFD in UTF-8
  CHECK(json_quote("a\xFF" "b") == "\"a" + fffd + "b\"");
  CHECK(json_quote("\xC3") == "\"" + fffd + "\"");                       // truncated sequence
  CHECK(json_quote("\xC0\xAF") == "\"" + fffd + fffd + "\"");            // overlong '/'
  CHECK(json_quote("\xED\xA0\x80") == "\"" + fffd + fffd + fffd + "\"");  // a surrogate
}

TEST_CASE("Json prints scalars, nulls from empty optionals, and nested values in insertion order") {
  CHECK(Json().dump() == "null");
  CHECK(Json(true).dump() == "true");
  CHECK(Json(-42).dump() == "-42");
  CHECK(Json(std::uint32_t{4294967295u}).dump() == "4294967295");
  CHECK(Json(std::optional<int>{}).dump() == "null");
  CHECK(Json(std::optional<int>{3}).dump() == "3");
  CHECK(Json::array().dump() == "[]");
  CHECK(Json::object().dump() == "{}");

  Json doc = Json::object();
  doc.set("zeta", 1).set("alpha", Json::array().push("x").push(Json())).set("empty", Json::object());
  CHECK(doc.dump() ==
        "{\n"
        "  \"zeta\": 1,\n"
        "  \"alpha\": [\n"
        "    \"x\",\n"
        "    null\n"
        "  ],\n"
        "  \"empty\": {}\n"
        "}");
}

TEST_CASE("Json refuses set on an array and push on an object") {
  Json arr = Json::array();
  Json obj = Json::object();
  CHECK_THROWS(arr.set("k", 1));
  CHECK_THROWS(obj.push(1));
}
