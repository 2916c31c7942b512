// Published known answers: tests/vectors/primitives.toml, plus RFC 7914 scrypt and round trips.
#include <doctest/doctest.h>

#include "cardctl/asym.hpp"
#include "cardctl/crypto.hpp"
#include "cardctl/error.hpp"
#include "vectors.hpp"

using namespace cardctl;

TEST_CASE("KBKDF counter mode: NIST CAVP and RFC 8009 vectors") {
  auto doc = load_vectors("primitives.toml");
  int checked = 0;
  for (auto& node : *doc["kbkdf"].as_array()) {
    auto& v = *node.as_table();
    std::string name = v["name"].value_or("");
    CAPTURE(name);
    if (v["counter_bits"].value_or(32) != 32) {
      MESSAGE("skipped (cardctl's KBKDF, like OpenSSL 3.0's, has a fixed 32-bit counter): " << name);
      continue;
    }
    std::string prf = v["prf"].value_or("");
    crypto::KbkdfParams p;
    p.use_l = v["use_l"].value_or(false);
    p.use_separator = v["use_separator"].value_or(false);
    if (prf.rfind("HMAC-", 0) == 0) {
      p.mac = "HMAC";
      p.digest = prf.substr(5);
    }
    Bytes key = from_hex(v["key"].value_or(""));
    Bytes label = from_hex(v["fixed_input"].value_or(v["label"].value_or(std::string())));
    Bytes context = from_hex(v["context"].value_or(""));
    std::size_t out_len = static_cast<std::size_t>(v["output_bits"].value_or(0)) / 8;
    auto out = crypto::kbkdf(key, label, context, out_len, p);
    CHECK(to_hex(out) == v["output"].value_or(""));
    ++checked;
  }
  CHECK(checked >= 10);
}

TEST_CASE("block cipher known answers (FIPS 197, SP 800-38A, SP 800-67)") {
  auto doc = load_vectors("primitives.toml");
  int checked = 0;
  for (auto& node : *doc["block"].as_array()) {
    auto& v = *node.as_table();
    std::string alg = v["algorithm"].value_or("");
    CAPTURE(alg);
    crypto::AdminAlgorithm a = alg == "TDES-EDE3-ECB" ? crypto::AdminAlgorithm::tdes
                               : alg == "AES-128-ECB" ? crypto::AdminAlgorithm::aes128
                               : alg == "AES-192-ECB" ? crypto::AdminAlgorithm::aes192
                                                      : crypto::AdminAlgorithm::aes256;
    Bytes key = from_hex(v["key"].value_or(""));
    Bytes pt = from_hex(v["plaintext"].value_or(""));
    CHECK(to_hex(crypto::encrypt_block(a, key, pt)) == v["output"].value_or(""));
    ++checked;
  }
  CHECK(checked == 12);
}

TEST_CASE("wrong key or block lengths are refused") {
  CHECK_THROWS_AS(crypto::encrypt_block(crypto::AdminAlgorithm::aes128, Bytes(15), Bytes(16)), Error);
  CHECK_THROWS_AS(crypto::encrypt_block(crypto::AdminAlgorithm::tdes, Bytes(24), Bytes(16)), Error);
}

TEST_CASE("weak TDES keys are detected, parity ignored") {
  Bytes k = from_hex("0123456789abcdef0123456789abcdef456789abcdef0123");
  CHECK(crypto::tdes_key_is_weak(k));
  Bytes k2 = from_hex("0123456789abcdef23456789abcdef01456789abcdef0123");
  CHECK_FALSE(crypto::tdes_key_is_weak(k2));
  Bytes k3 = from_hex("0123456789abcdef23456789abcdef0122456789abcdef00");  // K2 == K3 up to parity
  CHECK(crypto::tdes_key_is_weak(k3));
}

TEST_CASE("scrypt RFC 7914 §12 first vector") {
  auto out = crypto::scrypt({}, {}, 64, {16, 1, 1});
  CHECK(to_hex(out) ==
        "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442"
        "fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906");
}

TEST_CASE("HKDF-SHA256 RFC 5869 test cases 1 and 3") {
  const Bytes ikm = from_hex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b");
  CHECK(to_hex(crypto::hkdf_sha256(ikm, from_hex("000102030405060708090a0b0c"), from_hex("f0f1f2f3f4f5f6f7f8f9"), 42)) ==
        "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
  CHECK(to_hex(crypto::hkdf_sha256(ikm, {}, {}, 42)) ==
        "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
}

TEST_CASE("public_key_info: algorithm and EC point of an SPKI; other data refused") {
  using crypto::KeyAlgorithm;
  for (auto a : {KeyAlgorithm::eccp256, KeyAlgorithm::eccp384, KeyAlgorithm::rsa2048}) {
    CAPTURE(crypto::name(a));
    auto kp = crypto::KeyPair::generate(a);
    auto info = crypto::public_key_info(kp.public_spki_der());
    CHECK(info.algorithm == a);
    CHECK(info.ec_point == (a == KeyAlgorithm::rsa2048 ? Bytes{} : kp.ec_point()));
  }
  CHECK_THROWS_AS(crypto::public_key_info(from_hex("3003020101")), Error);
  Bytes spki = crypto::KeyPair::generate(KeyAlgorithm::eccp256).public_spki_der();
  spki.push_back(0);
  CHECK_THROWS_AS(crypto::public_key_info(spki), Error);  // trailing bytes
}

TEST_CASE("AES-256-GCM round trip; tampering and wrong AAD are detected") {
  Bytes key = crypto::random_bytes(32), iv = crypto::random_bytes(12);
  Bytes sealed = crypto::aes_gcm_seal(key, iv, to_bytes("card 1"), to_bytes("12345678"));
  auto opened = crypto::aes_gcm_open(key, iv, to_bytes("card 1"), sealed);
  CHECK(Bytes(opened.begin(), opened.end()) == to_bytes("12345678"));
  CHECK_THROWS_AS(crypto::aes_gcm_open(key, iv, to_bytes("card 2"), sealed), Error);
  sealed[0] ^= 1;
  CHECK_THROWS_AS(crypto::aes_gcm_open(key, iv, to_bytes("card 1"), sealed), Error);
}

TEST_CASE("HMAC-SHA256 RFC 4231 case 2 and SHA-256") {
  CHECK(to_hex(crypto::hmac_sha256(to_bytes("Jefe"), to_bytes("what do ya want for nothing?"))) ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  CHECK(to_hex(crypto::sha256(to_bytes("abc"))) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("constant-time compare") {
  CHECK(crypto::equal_ct(to_bytes("abc"), to_bytes("abc")));
  CHECK_FALSE(crypto::equal_ct(to_bytes("abc"), to_bytes("abd")));
  CHECK_FALSE(crypto::equal_ct(to_bytes("abc"), to_bytes("ab")));
}

TEST_CASE("key pairs: generate, sign, verify, PKCS#8 round trip, ECDH") {
  using crypto::KeyAlgorithm;
  for (auto a : {KeyAlgorithm::eccp256, KeyAlgorithm::eccp384, KeyAlgorithm::rsa2048}) {
    CAPTURE(crypto::name(a));
    auto kp = crypto::KeyPair::generate(a);
    auto again = crypto::KeyPair::from_private_der(kp.private_der());
    CHECK(again.public_spki_der() == kp.public_spki_der());
    Bytes data = to_bytes("signed by the card");
    Bytes digest = crypto::sha256(data);
    Bytes sig;
    if (a == KeyAlgorithm::rsa2048) {
      // PKCS#1 v1.5 block with the SHA-256 DigestInfo, as a PIV client builds it.
      Bytes block(256, 0xFF);
      block[0] = 0x00;
      block[1] = 0x01;
      Bytes info = concat({from_hex("3031300d060960864801650304020105000420"), digest});
      block[256 - info.size() - 1] = 0x00;
      std::copy(info.begin(), info.end(), block.end() - static_cast<long>(info.size()));
      sig = kp.rsa_raw_private(block);
      CHECK(crypto::spki_from_rsa(kp.rsa_modulus(), kp.rsa_exponent()) == kp.public_spki_der());
    } else {
      sig = kp.ecdsa_sign_digest(digest);
      CHECK(crypto::spki_from_ec_point(a, kp.ec_point()) == kp.public_spki_der());
      auto peer = crypto::KeyPair::generate(a);
      CHECK(kp.ecdh(peer.ec_point()) == peer.ecdh(kp.ec_point()));
    }
    CHECK(crypto::verify_sha256_signature(kp.public_spki_der(), data, sig));
    CHECK_FALSE(crypto::verify_sha256_signature(kp.public_spki_der(), to_bytes("other"), sig));
  }
}
