#include <algorithm>
#include <cctype>
#include <memory>
#include <openssl/evp.h>
#include <string>

#include "cardctl/crypto.hpp"
#include "cardctl/error.hpp"
#include "openssl_util.hpp"

namespace cardctl::crypto {

namespace {
// SP 800-78-4 Table 6-2 identifiers; block lengths per SP 800-67 (TDEA) and FIPS 197 (AES).
constexpr AdminAlgorithmInfo kAlgorithms[] = {
    {AdminAlgorithm::tdes, "tdes", "TDES", 0x03, 24, 8},
    {AdminAlgorithm::aes128, "aes128", "AES-128", 0x08, 16, 16},
    {AdminAlgorithm::aes192, "aes192", "AES-192", 0x0A, 24, 16},
    {AdminAlgorithm::aes256, "aes256", "AES-256", 0x0C, 32, 16},
};

const char* ecb_cipher_name(AdminAlgorithm a) {
  switch (a) {
    case AdminAlgorithm::tdes: return "DES-EDE3-ECB";
    case AdminAlgorithm::aes128: return "AES-128-ECB";
    case AdminAlgorithm::aes192: return "AES-192-ECB";
    case AdminAlgorithm::aes256: return "AES-256-ECB";
  }
  return "";
}

// The output buffer is SecureBytes: a decrypted block (a 9B witness in mutual authentication) never sits in a
// buffer that is freed unwiped.
SecureBytes one_block(AdminAlgorithm a, ByteView key, ByteView block, bool encrypt) {
  const auto& i = info(a);
  if (key.size() != i.key_length)
    throw Error(ErrorKind::usage, std::string(i.display) + " key must be " + std::to_string(i.key_length) +
                                      " bytes, got " + std::to_string(key.size()));
  if (block.size() != i.block_length)
    throw Error(ErrorKind::usage, std::string(i.display) + " block must be " +
                                      std::to_string(i.block_length) + " bytes, got " +
                                      std::to_string(block.size()));
  CipherPtr cipher(EVP_CIPHER_fetch(nullptr, ecb_cipher_name(a), nullptr));
  if (!cipher) fail("loading cipher " + std::string(ecb_cipher_name(a)));
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx || EVP_CipherInit_ex2(ctx.get(), cipher.get(), key.data(), nullptr, encrypt ? 1 : 0, nullptr) != 1)
    fail("initialising block cipher");
  EVP_CIPHER_CTX_set_padding(ctx.get(), 0);
  SecureBytes out(block.size() + 32);
  int len = 0, fin = 0;
  if (EVP_CipherUpdate(ctx.get(), out.data(), &len, block.data(), static_cast<int>(block.size())) != 1 ||
      EVP_CipherFinal_ex(ctx.get(), out.data() + len, &fin) != 1)
    fail("block cipher operation");
  out.resize(static_cast<std::size_t>(len + fin));
  return out;
}
}  // namespace

const AdminAlgorithmInfo& info(AdminAlgorithm a) {
  for (const auto& i : kAlgorithms)
    if (i.algorithm == a) return i;
  return kAlgorithms[0];
}

std::optional<AdminAlgorithm> admin_algorithm_from_name(std::string_view name) {
  std::string n;
  for (char c : name)
    if (c != '-' && c != '_') n.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (n == "tdes" || n == "3des" || n == "tdea" || n == "3key3des") return AdminAlgorithm::tdes;
  if (n == "aes128") return AdminAlgorithm::aes128;
  if (n == "aes192") return AdminAlgorithm::aes192;
  if (n == "aes256") return AdminAlgorithm::aes256;
  return std::nullopt;
}

std::optional<AdminAlgorithm> admin_algorithm_from_piv_id(std::uint8_t id) {
  if (id == 0x00 || id == 0x01) return AdminAlgorithm::tdes;  // "default" on real cards
  for (const auto& i : kAlgorithms)
    if (i.piv_id == id) return i.algorithm;
  return std::nullopt;
}

Bytes encrypt_block(AdminAlgorithm a, ByteView key, ByteView block) {
  const SecureBytes out = one_block(a, key, block, true);
  return Bytes(out.begin(), out.end());  // a cryptogram, sent in the clear
}
SecureBytes decrypt_block(AdminAlgorithm a, ByteView key, ByteView block) { return one_block(a, key, block, false); }

}  // namespace cardctl::crypto
