// Shared by the cli unit tests: a temporary directory and "this must throw a cardctl::Error".
#pragma once

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "cardctl/error.hpp"

namespace cli_test {

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "cardctl-cli-XXXXXX").string();
    path = ::mkdtemp(tmpl.data());
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() { std::filesystem::remove_all(path); }
};

/// Runs f, which must throw a cardctl::Error, and returns the error (a test failure if it does not throw).
template <class F>
cardctl::Error expect_error(F&& f) {
  try {
    f();
  } catch (const cardctl::Error& e) {
    return e;
  }
  FAIL("expected a cardctl::Error");
  return cardctl::Error(cardctl::ErrorKind::internal, "not thrown");
}

}  // namespace cli_test
