// The codes of the known answers (docs/architecture.md#codes): tests/vectors/admin-key.toml gives each case's
// challenge and response as the holder and the helpdesk read them, with their checks bound to the card id, and
// tests/vectors/primitives.toml the check's CRC.
#include <algorithm>
#include <doctest/doctest.h>

#include "cardctl/codes.hpp"
#include "vectors.hpp"

using namespace cardctl;

namespace {

Bytes hex_of_code(std::string code) {
  code.erase(std::remove(code.begin(), code.end(), ' '), code.end());
  return from_hex(code);
}

}  // namespace

TEST_CASE("admin-key vectors: codes and checks") {
  auto doc = load_vectors("admin-key.toml");
  auto* cases = doc["case"].as_array();
  REQUIRE(cases != nullptr);
  REQUIRE(cases->size() == 8);
  for (auto& node : *cases) {
    auto& c = *node.as_table();
    std::string card_id = c["card_id"].value_or("");
    CAPTURE(card_id);
    Bytes challenge = hex_of_code(c["challenge"].value_or(""));
    Bytes response = hex_of_code(c["response"].value_or(""));
    auto fc = codes::format(card_id, challenge);
    CHECK(fc.code == c["challenge"].value_or(""));
    CHECK(fc.check == c["challenge_check"].value_or(""));
    auto fr = codes::format(card_id, response);
    CHECK(codes::group_hex(response) == c["response"].value_or(""));
    CHECK(fr.check == c["response_check"].value_or(""));
    // As typed back, with the check: the same bytes.
    auto parsed = codes::parse(fr.code + " " + fr.check, card_id, response.size());
    CHECK(to_hex(parsed.bytes) == to_hex(response));
  }
}

TEST_CASE("CRC-16/CCITT-FALSE check value") {
  auto doc = load_vectors("primitives.toml");
  for (auto& node : *doc["checksum"].as_array()) {
    auto& v = *node.as_table();
    if (std::string(v["algorithm"].value_or("")) != "CRC-16/CCITT-FALSE") continue;
    Bytes input = from_hex(v["input"].value_or(""));
    std::uint16_t crc = codes::crc16_ccitt_false(input);
    std::uint8_t b[2] = {static_cast<std::uint8_t>(crc >> 8), static_cast<std::uint8_t>(crc)};
    CHECK(to_hex(b) == v["output"].value_or(""));
  }
}

