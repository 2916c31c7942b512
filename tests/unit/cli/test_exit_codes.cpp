// The exit-code table of src/cli/exit_codes.hpp is the one the README and cardctl(1) print, word for word.
#include <doctest/doctest.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include "exit_codes.hpp"

using cardctl::ErrorKind;
using cardctl::cli::ExitCode;
using cardctl::cli::kExitCodes;

namespace {

std::string read_source(const std::string& relative) {
  std::ifstream in(std::string(CARDCTL_SOURCE_DIR) + "/" + relative);
  REQUIRE_MESSAGE(in.good(), relative);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The README's "| N | meaning |" rows under "## Exit codes", as "N meaning".
std::vector<std::string> readme_rows() {
  std::string text = read_source("README.md");
  auto start = text.find("## Exit codes");
  REQUIRE(start != std::string::npos);
  auto end = text.find("\n## ", start + 1);
  std::string section = text.substr(start, end - start);
  std::vector<std::string> rows;
  std::regex row(R"(\n\| (\d+) \| ([^|\n]*[^| \n]) \|)");
  for (std::sregex_iterator it(section.begin(), section.end(), row), stop; it != stop; ++it)
    rows.push_back((*it)[1].str() + " " + (*it)[2].str());
  return rows;
}

// cardctl(1)'s EXIT STATUS entries (".TP", ".B N", text lines), roff escapes and markup removed.
std::vector<std::string> man_rows() {
  std::string text = read_source("man/cardctl.1");
  auto start = text.find(".SH EXIT STATUS");
  REQUIRE(start != std::string::npos);
  auto end = text.find("\n.SH ", start + 1);
  std::istringstream section(text.substr(start, end - start));
  std::vector<std::string> rows;
  std::string line;
  while (std::getline(section, line)) {
    if (line.rfind(".B ", 0) == 0 && !rows.empty() && rows.back().empty()) {
      rows.back() = line.substr(3) + " ";
    } else if (line.rfind(".TP", 0) == 0) {
      rows.emplace_back();
    } else if (!rows.empty() && !line.empty() && line[0] != '.') {
      std::string plain = std::regex_replace(line, std::regex(R"(\\-)"), "-");
      std::string& row = rows.back();
      row += (row.back() == ' ' ? "" : " ") + plain;
    } else if (!rows.empty() && line.rfind(".BR ", 0) == 0) {  // ".BR \-\-no\-prompt ." style markup
      std::string plain = std::regex_replace(line.substr(4), std::regex(R"(\\-)"), "-");
      plain = std::regex_replace(plain, std::regex(R"( ([.,;:]))"), "$1");
      rows.back() += (rows.back().back() == ' ' ? "" : " ") + plain;
    }
  }
  return rows;
}

std::vector<std::string> table_rows() {
  std::vector<std::string> rows;
  for (const auto& r : kExitCodes) rows.push_back(std::to_string(static_cast<int>(r.code)) + " " + std::string(r.meaning));
  return rows;
}

}  // namespace

TEST_CASE("the README's exit-code table is the one in exit_codes.hpp") {
  CHECK(readme_rows() == table_rows());
}

TEST_CASE("cardctl(1) EXIT STATUS is the one in exit_codes.hpp") {
  CHECK(man_rows() == table_rows());
}

TEST_CASE("the table lists every code once, in order, and every error kind has a code in it") {
  for (std::size_t i = 0; i < kExitCodes.size(); ++i) CHECK(static_cast<int>(kExitCodes[i].code) == static_cast<int>(i));
  for (int k = 0; k <= static_cast<int>(ErrorKind::internal); ++k) {
    auto code = static_cast<int>(cardctl::cli::exit_code_for(static_cast<ErrorKind>(k)));
    CHECK(code >= 1);
    CHECK(code < static_cast<int>(kExitCodes.size()));
  }
  CHECK(cardctl::cli::exit_code_for(ErrorKind::conflict) == ExitCode::conflict);
  CHECK(cardctl::cli::exit_code_for(ErrorKind::wrong_pin) == ExitCode::wrong_secret);
  CHECK(cardctl::cli::exit_code_for(ErrorKind::card_removed) == ExitCode::card);
}
