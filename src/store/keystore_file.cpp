#include "keystore_file.hpp"

#include <cstring>

#include "cardctl/error.hpp"

namespace cardctl::store::keystore_file {

namespace {
constexpr std::size_t kMagicLength = 16;
constexpr char kMagicPrefix[] = "cardctl-keys-v";  // then the format digit and "\n"
constexpr char kFormat = '2';
constexpr char kFormatTokens = '3';  // format 2's layout, with master keys in a PKCS#11 token
constexpr std::size_t kV1Header = kMagicLength + 8 + 4 + 4 + kSaltLength + kNonceLength;
constexpr std::size_t kV2Header = kV1Header + 4;
constexpr std::uint64_t kMaxScryptBytes = 1ull << 30;

std::uint64_t get_be(ByteView b) {
  std::uint64_t v = 0;
  for (auto x : b) v = v << 8 | x;
  return v;
}
void put_be(Bytes& out, std::uint64_t v, int bytes) {
  for (int s = 8 * (bytes - 1); s >= 0; s -= 8) out.push_back(static_cast<std::uint8_t>(v >> s));
}
}  // namespace

void damaged(const std::string& path, const std::string& what) {
  throw Error(ErrorKind::io, "the keystore " + path + " is damaged (" + what + ")",
              "restore it from your backup; cardctl never replaces a damaged keystore");
}

std::string scrypt_problem(const crypto::ScryptParams& s) {
  if (s.n < 2 || (s.n & (s.n - 1)) != 0) return "N must be a power of two above 1";
  if (s.r == 0 || s.p == 0) return "r and p must be at least 1";
  if (s.n > kMaxScryptBytes / 128 / s.r) return "N and r need more than 1 GiB of memory";
  if (s.n * 128 * s.r > kMaxScryptBytes / s.p) return "N, r and p need more than 1 GiB of work";
  return "";
}

Parts split(const std::string& path, ByteView file) {
  constexpr std::size_t kPrefix = sizeof kMagicPrefix - 1;
  if (file.empty()) damaged(path, "the file is empty");
  if (file.size() < kMagicLength) {
    if (std::memcmp(file.data(), kMagicPrefix, std::min(file.size(), kPrefix)) == 0) damaged(path, "file truncated");
    damaged(path, "not a cardctl keystore");
  }
  if (std::memcmp(file.data(), kMagicPrefix, kPrefix) != 0 || file[kMagicLength - 1] != '\n')
    damaged(path, "not a cardctl keystore");
  char format = static_cast<char>(file[kPrefix]);
  if (format != '1' && format != kFormat && format != kFormatTokens)
    throw Error(ErrorKind::unsupported, "the keystore " + path + " has format " + std::string(1, format) +
                                            ", which this cardctl cannot read",
                "use the cardctl version that wrote it, or a newer one");
  std::size_t header_length = format == '1' ? kV1Header : kV2Header;
  if (file.size() < header_length + kTagLength) damaged(path, "file truncated");
  Parts parts;
  parts.scrypt.n = get_be(file.subspan(16, 8));
  parts.scrypt.r = static_cast<std::uint32_t>(get_be(file.subspan(24, 4)));
  parts.scrypt.p = static_cast<std::uint32_t>(get_be(file.subspan(28, 4)));
  parts.salt = file.subspan(32, kSaltLength);
  parts.nonce = file.subspan(32 + kSaltLength, kNonceLength);
  parts.header = file.first(header_length);
  parts.sealed = file.subspan(header_length);
  if (format != '1') {
    std::uint64_t sealed_length = get_be(file.subspan(kV1Header, 4));
    if (sealed_length < kTagLength) damaged(path, "bad payload length");
    if (parts.sealed.size() < sealed_length)
      damaged(path, "file truncated: " + std::to_string(file.size()) + " of " +
                        std::to_string(header_length + sealed_length) + " bytes");
    if (parts.sealed.size() > sealed_length) damaged(path, "unexpected bytes after the end");
  }
  if (!scrypt_problem(parts.scrypt).empty()) damaged(path, "bad key-derivation parameters");
  return parts;
}

Bytes header(const crypto::ScryptParams& scrypt, ByteView salt, ByteView nonce, std::size_t sealed_length,
             bool token_masters) {
  Bytes out(kMagicPrefix, kMagicPrefix + sizeof kMagicPrefix - 1);
  out.push_back(static_cast<std::uint8_t>(token_masters ? kFormatTokens : kFormat));
  out.push_back('\n');
  put_be(out, scrypt.n, 8);
  put_be(out, scrypt.r, 4);
  put_be(out, scrypt.p, 4);
  out.insert(out.end(), salt.begin(), salt.end());
  out.insert(out.end(), nonce.begin(), nonce.end());
  put_be(out, sealed_length, 4);
  return out;
}

}  // namespace cardctl::store::keystore_file
