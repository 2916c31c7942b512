// Loads the project's known-answer files, tests/vectors/*.toml, at run time.
#pragma once

#include <string>
#include <toml++/toml.h>

inline toml::table load_vectors(const std::string& name) {
  return toml::parse_file(std::string(CARDCTL_VECTORS_DIR) + "/" + name);
}
