#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sys/stat.h>

#include "cardctl/error.hpp"
#include "helpers.hpp"
#include "prompt.hpp"

using namespace cardctl;
using namespace cardctl::cli;
using cli_test::expect_error;
using cli_test::TempDir;

namespace {

// A scripted terminal and stdin: what the user would type, in order.
struct FakeIo {
  bool stdin_terminal = true;
  std::vector<std::string> stdin_lines;
  std::vector<std::string> typed;  // answers on the terminal; running out = no terminal
  std::vector<std::string> prompts;
  std::map<std::string, std::string> env;

  PromptIo io() {
    PromptIo io;
    io.stdin_is_terminal = [this] { return stdin_terminal; };
    io.read_stdin_line = [this]() -> std::optional<SecureString> {
      if (stdin_lines.empty()) return std::nullopt;
      std::string l = stdin_lines.front();
      stdin_lines.erase(stdin_lines.begin());
      return SecureString(l.begin(), l.end());
    };
    io.ask_terminal = [this](const std::string& prompt) -> std::optional<SecureString> {
      prompts.push_back(prompt);
      if (typed.empty()) return std::nullopt;
      std::string l = typed.front();
      typed.erase(typed.begin());
      return SecureString(l.begin(), l.end());
    };
    io.getenv = [this](const std::string& name) -> std::optional<std::string> {
      auto it = env.find(name);
      if (it == env.end()) return std::nullopt;
      return it->second;
    };
    return io;
  }
};

std::string str(const SecureString& s) { return std::string(s.begin(), s.end()); }

SecretRequest pin_request() {
  SecretRequest r;
  r.label = "PIN";
  r.file_option = "--pin-file";
  r.env = "CARDCTL_PIN";
  return r;
}

std::string write_file(const std::filesystem::path& p, const std::string& content, mode_t mode) {
  std::ofstream(p) << content;
  ::chmod(p.c_str(), mode);
  return p.string();
}

}  // namespace

TEST_CASE("a --pin-file readable only by its owner wins over every other source, without its newline") {
  TempDir dir;
  FakeIo fake;
  fake.env["CARDCTL_PIN"] = "999999";
  fake.stdin_terminal = false;
  fake.stdin_lines = {"888888"};
  SecretRequest r = pin_request();
  r.file = write_file(dir.path / "pin", "135790\n", 0600);
  std::vector<std::string> log;
  auto pin = Prompter(fake.io()).read(r, false, [&](std::string_view l) { log.emplace_back(l); });
  CHECK(str(pin) == "135790");
  REQUIRE(log.size() == 1);
  CHECK(log[0] == "PIN read from the file " + *r.file);
  CHECK(fake.stdin_lines.size() == 1);  // stdin untouched
}

TEST_CASE("a secret file others can read is refused with a chmod hint") {
  TempDir dir;
  FakeIo fake;
  SecretRequest r = pin_request();
  r.file = write_file(dir.path / "pin", "135790\n", 0644);
  Error e = expect_error([&] { Prompter(fake.io()).read(r, false, [](std::string_view) {}); });
  CHECK(e.kind() == ErrorKind::usage);
  CHECK(e.hint() == "chmod 600 " + *r.file);
}

TEST_CASE("the documented variable comes before stdin and the terminal; the log names it, not the value") {
  FakeIo fake;
  fake.env["CARDCTL_PIN"] = "246802";
  fake.typed = {"111111"};
  std::vector<std::string> log;
  auto pin = Prompter(fake.io()).read(pin_request(), false, [&](std::string_view l) { log.emplace_back(l); });
  CHECK(str(pin) == "246802");
  CHECK(fake.prompts.empty());
  REQUIRE(log.size() == 1);
  CHECK(log[0] == "PIN read from the environment variable CARDCTL_PIN");
}

TEST_CASE("stdin that is not a terminal gives one line per secret, in order") {
  FakeIo fake;
  fake.stdin_terminal = false;
  fake.stdin_lines = {"12345678", "654321"};
  SecretRequest puk{"PUK", "--puk-file", std::nullopt, "CARDCTL_PUK", false};
  SecretRequest new_pin{"new PIN", "--new-pin-file", std::nullopt, "CARDCTL_NEW_PIN", true};
  Prompter p(fake.io());
  CHECK(str(p.read(puk, true, [](std::string_view) {})) == "12345678");
  CHECK(str(p.read(new_pin, true, [](std::string_view) {})) == "654321");
  CHECK_THROWS_AS(p.read(puk, true, [](std::string_view) {}), Error);  // stdin ended
  CHECK(fake.prompts.empty());
}

TEST_CASE("an empty secret is refused") {
  FakeIo fake;
  fake.stdin_terminal = false;
  fake.stdin_lines = {""};
  CHECK_THROWS_AS(Prompter(fake.io()).read(pin_request(), false, [](std::string_view) {}), Error);
}

TEST_CASE("on a terminal the secret is asked for, and a new one twice") {
  FakeIo fake;
  fake.typed = {"112233"};
  CHECK(str(Prompter(fake.io()).read(pin_request(), false, [](std::string_view) {})) == "112233");
  CHECK(fake.prompts == std::vector<std::string>{"Enter PIN: "});

  FakeIo twice;
  twice.typed = {"445566", "445567", "445566", "445566"};
  SecretRequest r{"new PIN", "", std::nullopt, "", true};
  CHECK(str(Prompter(twice.io()).read(r, false, [](std::string_view) {})) == "445566");
  CHECK(twice.prompts == std::vector<std::string>{"Enter new PIN: ", "Repeat new PIN: ",
                                                  "The two entries differ. Enter new PIN: ", "Repeat new PIN: "});
}

TEST_CASE("a new secret typed differently three times is an error") {
  FakeIo fake;
  fake.typed = {"1", "2", "3", "4", "5", "6"};
  SecretRequest r{"new PIN", "", std::nullopt, "", true};
  CHECK_THROWS_AS(Prompter(fake.io()).read(r, false, [](std::string_view) {}), Error);
}

TEST_CASE("--no-prompt fails instead of asking, listing every missing secret and its sources") {
  FakeIo fake;
  fake.typed = {"123456"};
  SecretRequest pin = pin_request();
  SecretRequest puk{"PUK", "--puk-file", std::nullopt, "CARDCTL_PUK", false};
  Prompter p(fake.io());
  Error e = expect_error([&] { p.require({&pin, &puk}, true); });
  CHECK(e.kind() == ErrorKind::usage);
  CHECK(std::string(e.what()) == "missing secrets with --no-prompt: PIN, PUK");
  CHECK(e.hint().find("--pin-file FILE, CARDCTL_PIN, or one line on stdin") != std::string::npos);
  CHECK(e.hint().find("--puk-file FILE, CARDCTL_PUK") != std::string::npos);
  CHECK_THROWS_AS(p.read(pin, true, [](std::string_view) {}), Error);
  CHECK(fake.prompts.empty());

  fake.env["CARDCTL_PIN"] = "123456";
  fake.env["CARDCTL_PUK"] = "12345678";
  CHECK_NOTHROW(p.require({&pin, &puk}, true));
  CHECK_NOTHROW(p.require({&pin, &puk}, false));
}

TEST_CASE("with no terminal and nothing else the error says where the secret can come from") {
  FakeIo fake;  // no typed answers: ask_terminal reports no terminal
  Error e = expect_error([&] { Prompter(fake.io()).read(pin_request(), false, [](std::string_view) {}); });
  CHECK(e.kind() == ErrorKind::usage);
  CHECK(e.hint() == "give it with --pin-file FILE, CARDCTL_PIN, or one line on stdin");
}
