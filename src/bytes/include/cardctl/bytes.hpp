// Layer 1: byte buffers, hex, and a buffer for secrets that wipes itself.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cardctl {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

/// Wipes memory with OPENSSL_cleanse so the compiler cannot drop the write.
void secure_wipe(void* data, std::size_t size) noexcept;

/// Allocator that wipes every block it frees (Botan's zeroizing allocator idea).
template <class T>
struct WipingAllocator {
  using value_type = T;
  WipingAllocator() noexcept = default;
  template <class U>
  WipingAllocator(const WipingAllocator<U>&) noexcept {}
  T* allocate(std::size_t n) { return std::allocator<T>{}.allocate(n); }
  void deallocate(T* p, std::size_t n) noexcept {
    secure_wipe(p, n * sizeof(T));
    std::allocator<T>{}.deallocate(p, n);
  }
  template <class U>
  bool operator==(const WipingAllocator<U>&) const noexcept { return true; }
};

/// Bytes that are wiped when freed, resized or reallocated.
using SecureBytes = std::vector<std::uint8_t, WipingAllocator<std::uint8_t>>;
using SecureStringBase = std::basic_string<char, std::char_traits<char>, WipingAllocator<char>>;
/// A string for typed-in secrets, wiped when it is destroyed. The allocator alone is not enough: a short
/// string (a PIN, an answer) lives in the string object itself and never reaches the allocator.
class SecureString : public SecureStringBase {
 public:
  using SecureStringBase::SecureStringBase;
  SecureString() noexcept = default;
  SecureString(const SecureStringBase& s) : SecureStringBase(s) {}
  SecureString(SecureStringBase&& s) noexcept : SecureStringBase(std::move(s)) {}
  SecureString(const SecureString&) = default;
  SecureString(SecureString&&) noexcept = default;
  SecureString& operator=(const SecureString&) = default;
  SecureString& operator=(SecureString&&) noexcept = default;
  ~SecureString() { wipe(); }

  SecureString substr(size_type pos = 0, size_type n = npos) const { return SecureStringBase::substr(pos, n); }

  /// Clears the string and wipes its storage: the heap block (through the allocator) and the in-object buffer.
  void wipe() noexcept {
    secure_wipe(data(), capacity());
    clear();
    shrink_to_fit();  // back into the in-object buffer, freeing (and wiping) a heap block
    secure_wipe(data(), capacity() + 1);
  }
};

/// Lower-case hex, no separators.
std::string to_hex(ByteView data);
/// Upper-case hex, no separators.
std::string to_hex_upper(ByteView data);
/// Parses hex; spaces, tabs, ':' and '-' are ignored. Throws Error(usage) on a bad digit or odd length.
Bytes from_hex(std::string_view text);
/// from_hex for a secret (an imported key): the result, and every buffer on the way, wipes itself.
SecureBytes secure_from_hex(std::string_view text);

inline ByteView view(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
inline Bytes to_bytes(std::string_view s) { return Bytes(s.begin(), s.end()); }
inline SecureBytes to_secure(ByteView v) { return SecureBytes(v.begin(), v.end()); }
inline Bytes concat(std::initializer_list<ByteView> parts) {
  Bytes out;
  for (auto p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

}  // namespace cardctl
