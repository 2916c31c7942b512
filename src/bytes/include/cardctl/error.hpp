// One error type for the whole library (docs/architecture.md#errors): a category, the raw status word or PC/SC code,
// the retries left when a PIN/PUK was wrong, and a hint for the user. Context is prepended as it rises:
// "authenticating with the admin key: card 12345678: wrong response".
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

namespace cardctl {

enum class ErrorKind {
  usage,            // bad arguments or input from the user
  wrong_pin,        // wrong PIN/PUK/response; retries() tells how many tries are left
  blocked,          // PIN/PUK blocked
  security_status,  // security status not satisfied (PIN or admin key needed)
  auth_failed,      // admin-key authentication failed (wrong key or wrong response)
  not_found,        // object, file, reader, card or application not found
  wrong_data,       // card refused the data (wrong length, bad parameters)
  unsupported,      // card or tool does not support the operation
  card_removed,     // the card went away
  transport,        // PC/SC or reader failure
  protocol,         // malformed data from the card, or a status word we cannot map
  policy,           // refused by policy
  conflict,         // busy / locked by another process / already exists
  io,               // files, disk, database
  crypto,           // crypto failure, bad key, authentication tag mismatch
  partial,          // some items of a batch failed; its report says which
  internal,
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, std::string message, std::string hint = {})
      : std::runtime_error(std::move(message)), kind_(kind), hint_(std::move(hint)) {}

  ErrorKind kind() const noexcept { return kind_; }
  const std::string& hint() const noexcept { return hint_; }
  std::optional<std::uint16_t> status_word() const noexcept { return sw_; }
  std::optional<long> pcsc_code() const noexcept { return pcsc_; }
  std::optional<int> retries() const noexcept { return retries_; }

  Error& with_sw(std::uint16_t sw) { sw_ = sw; return *this; }
  Error& with_pcsc(long code) { pcsc_ = code; return *this; }
  Error& with_retries(int n) { retries_ = n; return *this; }
  Error& with_hint(std::string h) { hint_ = std::move(h); return *this; }

  /// A copy with "context: " in front of the message; everything else kept.
  Error context(const std::string& what) const {
    Error e(kind_, what + ": " + std::string(this->what()), hint_);
    e.sw_ = sw_;
    e.pcsc_ = pcsc_;
    e.retries_ = retries_;
    return e;
  }

 private:
  ErrorKind kind_;
  std::string hint_;
  std::optional<std::uint16_t> sw_;
  std::optional<long> pcsc_;
  std::optional<int> retries_;
};

const char* to_string(ErrorKind kind) noexcept;

/// Runs f; a cardctl::Error escaping it gains "what: " in front (docs/architecture.md#errors).
template <class F>
auto with_context(const std::string& what, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const Error& e) {
    throw e.context(what);
  }
}

}  // namespace cardctl
