// Layer 1: typed secrets. Move-only, never formatted, wiped on destruction, and distinct types so that
// reset_pin_with_puk(Puk, Pin) cannot be called with its arguments swapped.
#pragma once

#include <string_view>
#include <utility>

#include "cardctl/bytes.hpp"

namespace cardctl {

template <class Tag>
class Secret {
 public:
  Secret() = default;
  explicit Secret(SecureBytes value) : value_(std::move(value)) {}
  explicit Secret(ByteView value) : value_(value.begin(), value.end()) {}
  static Secret from_text(std::string_view text) { return Secret(view(text)); }

  Secret(const Secret&) = delete;
  Secret& operator=(const Secret&) = delete;
  Secret(Secret&&) noexcept = default;
  Secret& operator=(Secret&&) noexcept = default;
  ~Secret() = default;

  /// An explicit copy, for the rare place that must keep one (the reference card's state).
  Secret clone() const { return Secret(value_); }

  ByteView bytes() const { return value_; }
  std::string_view text() const { return {reinterpret_cast<const char*>(value_.data()), value_.size()}; }
  std::size_t size() const { return value_.size(); }
  bool empty() const { return value_.empty(); }

 private:
  SecureBytes value_;
};

using Pin = Secret<struct PinTag>;
using Puk = Secret<struct PukTag>;
using AdminKey = Secret<struct AdminKeyTag>;        // a PIV card management key (9B)
using MasterKey = Secret<struct MasterKeyTag>;      // keystore master admin key
using Passphrase = Secret<struct PassphraseTag>;

}  // namespace cardctl
