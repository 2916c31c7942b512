// Layer 10: where secrets come from (docs/architecture.md#secret-input). In this order: a file named with --X-file
// (refused unless only the owner can read it), an environment variable where one is documented
// (CARDCTL_PIN, ...), one line of stdin when stdin is not a terminal, else a no-echo prompt on /dev/tty
// (new secrets asked twice). Secrets are never taken from argv. The log names the source, never the value.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cardctl/bytes.hpp"
#include "cardctl/secret.hpp"

namespace CLI {
class App;
}

namespace cardctl::cli {

/// One secret a command needs.
struct SecretRequest {
  std::string label;                // "PIN", "new PIN", "PUK", "keystore passphrase"
  std::string file_option;          // "--pin-file" (named in messages); empty if the command has none
  std::optional<std::string> file;  // the path given with file_option
  std::string env;                  // documented environment variable ("CARDCTL_PIN"), or empty
  bool confirm = false;             // a new secret: asked twice on a terminal
};

/// The process's terminal and stdin, replaceable in tests. The only reader of stdin (Prompter::read_stdin_line).
struct PromptIo {
  std::function<bool()> stdin_is_terminal;
  /// One line of stdin without its line ending; nullopt at end of input.
  std::function<std::optional<SecureString>()> read_stdin_line;
  /// Shows prompt on the controlling terminal and reads a line with echo off; nullopt when there is no
  /// terminal.
  std::function<std::optional<SecureString>(const std::string& prompt)> ask_terminal;
  std::function<std::optional<std::string>(const std::string& name)> getenv;

  static PromptIo system();
};

class Prompter {
 public:
  Prompter() : io_(PromptIo::system()) {}
  explicit Prompter(PromptIo io) : io_(std::move(io)) {}

  /// Reads one secret from the first source that has it. `log` receives "PIN read from CARDCTL_PIN"-style
  /// lines. With no_prompt, fails instead of asking on the terminal. Error(usage) when the secret is empty,
  /// the two entries of a new secret differ, or no source has it.
  SecureString read(const SecretRequest& request, bool no_prompt,
                    const std::function<void(std::string_view)>& log) const;

  /// With no_prompt: throws Error(usage) listing every request that no file, variable or stdin can satisfy,
  /// before the command touches the card.
  void require(const std::vector<const SecretRequest*>& requests, bool no_prompt) const;

  /// stdin is read through here only, by secrets and by every other line a command takes from it (a challenge
  /// code): one reader that never reads past the end of the line, so that what follows on the same pipe is
  /// left for the next read. A line may be a secret: it is a SecureString, wiped when dropped.
  std::optional<SecureString> read_stdin_line() const { return io_.read_stdin_line(); }
  bool stdin_is_terminal() const { return io_.stdin_is_terminal(); }

  template <class S>
  S read_as(const SecretRequest& request, bool no_prompt,
            const std::function<void(std::string_view)>& log) const {
    SecureString s = read(request, no_prompt, log);
    return S(view(std::string_view(s.data(), s.size())));
  }

 private:
  PromptIo io_;
};

/// Adds "--X-file PATH" for a request to a subcommand, filling request.file.
void add_secret_file_option(CLI::App& app, SecretRequest& request, const std::string& description);

}  // namespace cardctl::cli
