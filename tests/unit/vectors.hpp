// Loads the project's known-answer files, tests/vectors/*.toml, at run time.
#pragma once

#include <string>
#include <toml++/toml.h>

inline toml::table load_vectors(const std::string& name) {
  return toml::parse_file(std::string(CARDCTL_VECTORS_DIR) + "/" + name);
}

#include <cstdint>
#include <vector>

/// One case of tests/vectors/admin-key.toml (docs/architecture.md#key-derivation), as text.
struct AdminKeyCase {
  std::string algorithm;   // "tdes", "aes128", ...
  std::string master_key;  // hex
  std::string card_id;
  std::uint32_t key_version = 0;
  std::string card_key;  // hex, the expected admin key
};

inline std::vector<AdminKeyCase> admin_key_cases() {
  auto doc = load_vectors("admin-key.toml");
  std::vector<AdminKeyCase> out;
  if (auto* cases = doc["case"].as_array())
    for (auto& node : *cases) {
      auto& c = *node.as_table();
      out.push_back({c["algorithm"].value_or(""), c["master_key"].value_or(""), c["card_id"].value_or(""),
                     static_cast<std::uint32_t>(c["key_version"].value_or(0)), c["card_key"].value_or("")});
    }
  return out;
}
