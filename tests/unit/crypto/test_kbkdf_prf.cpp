// The KBKDF with a PRF given (crypto::Prf): the one counter-mode loop behind kbkdf(key, ...) and both
// derive_admin_key overloads, checked against OpenSSL's own KBKDF and the admin-key known answers.
#include <doctest/doctest.h>
#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <string>
#include <vector>

#include "cardctl/crypto.hpp"
#include "cardctl/error.hpp"
#include "vectors.hpp"

using namespace cardctl;

namespace {
// OpenSSL's EVP_KDF "KBKDF" in counter mode, as cardctl called it before it had its own loop.
Bytes openssl_kbkdf(const std::string& mac, const std::string& alg, ByteView key, ByteView label, ByteView context,
                    std::size_t out_len, bool use_l, bool use_sep) {
  std::string mode = "COUNTER", mac_name = mac, alg_name = alg;
  int l = use_l ? 1 : 0, sep = use_sep ? 1 : 0;
  auto mut = [](ByteView v) { return const_cast<std::uint8_t*>(v.data()); };
  std::vector<OSSL_PARAM> p = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_MODE, mode.data(), 0),
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_MAC, mac_name.data(), 0),
      OSSL_PARAM_construct_utf8_string(mac == "CMAC" ? OSSL_KDF_PARAM_CIPHER : OSSL_KDF_PARAM_DIGEST,
                                       alg_name.data(), 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, mut(key), key.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, mut(label), label.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, mut(context), context.size()),
      OSSL_PARAM_construct_int(OSSL_KDF_PARAM_KBKDF_USE_L, &l),
      OSSL_PARAM_construct_int(OSSL_KDF_PARAM_KBKDF_USE_SEPARATOR, &sep),
      OSSL_PARAM_construct_end()};
  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "KBKDF", nullptr);
  EVP_KDF_CTX* ctx = EVP_KDF_CTX_new(kdf);
  Bytes out(out_len);
  int ok = EVP_KDF_derive(ctx, out.data(), out.size(), p.data());
  EVP_KDF_CTX_free(ctx);
  EVP_KDF_free(kdf);
  REQUIRE(ok == 1);
  return out;
}
}  // namespace

TEST_CASE("KBKDF: the one loop gives what OpenSSL's KBKDF gives, for CMAC and HMAC, every length and option") {
  struct Prf {
    std::string mac, alg;
    std::size_t key_length;
    std::string digest;  // KbkdfParams::digest for HMAC
  };
  const Prf prfs[] = {{"CMAC", "AES-128-CBC", 16, ""}, {"CMAC", "AES-192-CBC", 24, ""},
                      {"CMAC", "AES-256-CBC", 32, ""}, {"HMAC", "SHA256", 32, "SHA256"},
                      {"HMAC", "SHA512", 20, "SHA512"}};
  int checked = 0;
  for (const auto& prf : prfs) {
    for (std::size_t out_len : {1u, 15u, 16u, 17u, 24u, 32u, 33u, 64u, 100u}) {
      for (int options = 0; options < 4; ++options) {
        CAPTURE(prf.alg);
        CAPTURE(out_len);
        CAPTURE(options);
        Bytes key = crypto::random_bytes(prf.key_length);
        Bytes label = crypto::random_bytes(out_len % 7), context = crypto::random_bytes(out_len % 5 + 3);
        crypto::KbkdfParams p;
        p.mac = prf.mac;
        if (!prf.digest.empty()) p.digest = prf.digest;
        p.use_l = (options & 1) != 0;
        p.use_separator = (options & 2) != 0;
        auto ours = crypto::kbkdf(key, label, context, out_len, p);
        CHECK(to_hex(ours) ==
              to_hex(openssl_kbkdf(prf.mac, prf.alg, key, label, context, out_len, p.use_l, p.use_separator)));
        ++checked;
      }
    }
  }
  CHECK(checked == 5 * 9 * 4);
}

TEST_CASE("KBKDF with a PRF given: the same as with the key; a PRF that says nothing or a zero length is refused") {
  Bytes key = crypto::random_bytes(32);
  int calls = 0;
  crypto::Prf prf = [&](ByteView m) {
    ++calls;
    Bytes mac = crypto::cmac_aes(key, m);
    return SecureBytes(mac.begin(), mac.end());
  };
  auto with_prf = crypto::kbkdf(prf, view("label"), view("context"), 40);
  CHECK(calls == 3);  // ceil(40 / 16) blocks
  CHECK(to_hex(with_prf) == to_hex(crypto::kbkdf(key, view("label"), view("context"), 40)));

  crypto::Prf silent = [](ByteView) { return SecureBytes{}; };
  CHECK_THROWS_AS(crypto::kbkdf(silent, view("l"), view("c"), 16), Error);
  CHECK_THROWS_AS(crypto::kbkdf(prf, view("l"), view("c"), 0), Error);
  CHECK_THROWS_AS(crypto::kbkdf(crypto::Prf{}, view("l"), view("c"), 16), Error);
  crypto::KbkdfParams unknown;
  unknown.mac = "GMAC";
  CHECK_THROWS_AS(crypto::kbkdf(key, view("l"), view("c"), 16, unknown), Error);
}

TEST_CASE("admin-key vectors: derive_admin_key with the master key's CMAC as the PRF") {
  auto cases = admin_key_cases();
  REQUIRE(cases.size() == 8);
  for (const auto& c : cases) {
    CAPTURE(c.algorithm);
    CAPTURE(c.card_id);
    auto alg = crypto::admin_algorithm_from_name(c.algorithm);
    REQUIRE(alg.has_value());
    Bytes master = from_hex(c.master_key);
    crypto::Prf prf = [&master](ByteView m) {
      Bytes mac = crypto::cmac_aes(master, m);
      return SecureBytes(mac.begin(), mac.end());
    };
    CHECK(to_hex(crypto::derive_admin_key(prf, *alg, c.card_id, c.key_version).bytes()) == c.card_key);
  }
}
