// An installation in a temporary directory, made from examples/policy.toml by operator "tester" with cheap
// scrypt, for lifecycle tests; removed with its directory.
#pragma once

#include <cstdlib>
#include <optional>
#include <string>

#include "cardctl/site.hpp"

namespace cardctl::testing {

struct TestSite {
  std::string dir;
  lifecycle::SitePaths paths;
  std::optional<lifecycle::Site> site;
  explicit TestSite(const std::string& name = "cardctl-site") {
    std::string pattern = "/tmp/" + name + "-XXXXXX";
    dir = mkdtemp(pattern.data());
    paths.dir = dir + "/site";
    lifecycle::InitOptions o;
    o.policy_file = std::string(CARDCTL_SOURCE_DIR) + "/examples/policy.toml";
    o.scrypt = {1024, 8, 1};
    o.operator_name = "tester";
    site.emplace(lifecycle::Site::init(paths, Passphrase::from_text("a long passphrase"), o));
  }
  ~TestSite() { std::system(("rm -rf " + dir).c_str()); }
  TestSite(const TestSite&) = delete;
  TestSite& operator=(const TestSite&) = delete;
};

}  // namespace cardctl::testing
