// A private SoftHSM 2 token for the tests: its own configuration file (SOFTHSM2_CONF) and token directory in a
// temporary directory, never the system's /var/lib/softhsm/tokens, removed at exit; a random user PIN, which only
// softhsm2-util (a test tool) gets as an argument.
#pragma once

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "cardctl/bytes.hpp"
#include "cardctl/crypto.hpp"
#include "cli/helpers.hpp"  // TempDir

extern char** environ;

namespace softhsm {

inline const char* kModule = "/usr/lib/softhsm/libsofthsm2.so";
inline const char* kLabel = "cardctl-test";

inline bool on_path(const std::string& tool) {
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/bin:/bin";
  for (std::size_t start = 0; start <= dirs.size();) {
    std::size_t end = std::min(dirs.find(':', start), dirs.size());
    if (::access((dirs.substr(start, end - start) + "/" + tool).c_str(), X_OK) == 0) return true;
    start = end + 1;
  }
  return false;
}

/// SoftHSM 2's module and softhsm2-util (Debian's softhsm2).
inline bool installed() { return std::filesystem::exists(kModule) && on_path("softhsm2-util"); }

/// Runs a test tool (its argv may hold the test PIN; cardctl's never does), its output to /dev/null. Exit status.
inline int run(std::vector<std::string> args) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return -1;
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

struct Token {
  cli_test::TempDir dir;  // removed at exit
  std::string pin;

  Token() {
    const std::filesystem::path& d = dir.path;
    std::filesystem::create_directory(d / "tokens");
    std::ofstream(d / "softhsm2.conf") << "directories.tokendir = " << (d / "tokens").string()
                                       << "\nobjectstore.backend = file\nlog.level = ERROR\n";
    setenv("SOFTHSM2_CONF", (d / "softhsm2.conf").c_str(), 1);
    pin = cardctl::to_hex(cardctl::crypto::random_bytes(6));
    std::string so_pin = cardctl::to_hex(cardctl::crypto::random_bytes(6));
    if (run({"softhsm2-util", "--init-token", "--free", "--label", kLabel, "--pin", pin, "--so-pin", so_pin}) != 0)
      throw std::runtime_error("softhsm2-util --init-token failed");
  }
};

/// The process's one private token, made when first asked for.
inline Token& token() {
  static Token t;
  return t;
}

}  // namespace softhsm
