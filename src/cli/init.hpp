// `cardctl init`: create the installation (keystore with a fresh or imported master key, inventory, audit
// trail, policy); `--rotate` adds a new master key version to an existing one.
#pragma once

#include <optional>
#include <string>

#include "site_options.hpp"

namespace cardctl::cli {

struct InitOptions {
  SiteOptions site;
  std::string policy_file;
  bool force = false;
  bool rotate = false;
  std::optional<std::string> import_master_file;
  std::optional<std::uint32_t> key_version;
  std::optional<std::uint64_t> scrypt_n;  // hidden: fast keystores for tests
};

void setup_init(CLI::App& app, Context& ctx);
void run_init(InitOptions& options, Context& ctx);

}  // namespace cardctl::cli
