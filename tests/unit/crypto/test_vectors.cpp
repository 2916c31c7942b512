// Key derivation and the helpdesk's response (docs/architecture.md#key-derivation): tests/vectors/admin-key.toml.
// The codes built from the same vectors are checked in tests/unit/codes.
#include <algorithm>
#include <doctest/doctest.h>

#include "cardctl/crypto.hpp"
#include "vectors.hpp"

using namespace cardctl;

TEST_CASE("admin-key vectors: derivation and response") {
  auto doc = load_vectors("admin-key.toml");
  auto* cases = doc["case"].as_array();
  REQUIRE(cases != nullptr);
  REQUIRE(cases->size() == 8);
  for (auto& node : *cases) {
    auto& c = *node.as_table();
    std::string alg_name = c["algorithm"].value_or("");
    std::string card_id = c["card_id"].value_or("");
    auto version = static_cast<std::uint32_t>(c["key_version"].value_or(0));
    CAPTURE(alg_name);
    CAPTURE(card_id);
    auto alg = crypto::admin_algorithm_from_name(alg_name);
    REQUIRE(alg.has_value());
    MasterKey master(from_hex(c["master_key"].value_or("")));
    AdminKey key = crypto::derive_admin_key(master, *alg, card_id, version);
    CHECK(to_hex(key.bytes()) == c["card_key"].value_or(""));

    Bytes challenge = from_hex(c["challenge"].value_or(""));
    Bytes response = crypto::encrypt_block(*alg, key.bytes(), challenge);
    std::string grouped = c["response"].value_or("");  // upper-case hex in groups of four
    grouped.erase(std::remove(grouped.begin(), grouped.end(), ' '), grouped.end());
    CHECK(to_hex(response) == to_hex(from_hex(grouped)));
    CHECK(to_hex(crypto::decrypt_block(*alg, key.bytes(), response)) == to_hex(challenge));
  }
}
