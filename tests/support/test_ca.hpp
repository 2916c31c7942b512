// A throw-away file-based CA for tests that issue cards with certificates: a self-signed P-256 CA written to a
// temporary directory (key 0600) and loaded as the issuance CA. One per test process.
#pragma once

#include <cstdlib>
#include <memory>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdexcept>
#include <string>

#include "cardctl/files.hpp"
#include "cardctl/x509.hpp"

namespace cardctl::testing {

struct TestCa {
  std::string dir, cert, key;
  std::optional<crypto::CertificateAuthority> ca;

  TestCa() {
    char pattern[] = "/tmp/cardctl-testca-XXXXXX";
    if (mkdtemp(pattern) == nullptr) throw std::runtime_error("mkdtemp");
    dir = pattern;
    cert = dir + "/ca.pem";
    key = dir + "/ca.key";
    EVP_PKEY* k = EVP_EC_gen("P-256");
    X509* c = X509_new();
    X509_set_version(c, X509_VERSION_3);
    ASN1_INTEGER_set(X509_get_serialNumber(c), 1);
    X509_NAME* name = X509_get_subject_name(c);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>("cardctl test CA"), -1, -1, 0);
    X509_set_issuer_name(c, name);
    X509_gmtime_adj(X509_getm_notBefore(c), -3600);
    X509_gmtime_adj(X509_getm_notAfter(c), 10L * 365 * 86400);
    X509_set_pubkey(c, k);
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, c, c, nullptr, nullptr, 0);
    for (auto [nid, value] : {std::pair{NID_basic_constraints, "critical,CA:TRUE"},
                              std::pair{NID_key_usage, "critical,keyCertSign,cRLSign"},
                              std::pair{NID_subject_key_identifier, "hash"}}) {
      X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
      X509_add_ext(c, ext, -1);
      X509_EXTENSION_free(ext);
    }
    X509_sign(c, k, EVP_sha256());
    write(cert, [&](BIO* b) { return PEM_write_bio_X509(b, c); }, 0644);
    write(key, [&](BIO* b) { return PEM_write_bio_PrivateKey(b, k, nullptr, nullptr, 0, nullptr, nullptr); }, 0600);
    X509_free(c);
    EVP_PKEY_free(k);
    ca.emplace(crypto::CertificateAuthority::load(cert, key, nullptr));
  }
  ~TestCa() { std::system(("rm -rf " + dir).c_str()); }

  template <class F>
  static void write(const std::string& path, F&& pem, mode_t mode) {
    BIO* b = BIO_new(BIO_s_mem());
    if (pem(b) != 1) throw std::runtime_error("PEM");
    char* data = nullptr;
    long n = BIO_get_mem_data(b, &data);
    files::write_atomic(path, ByteView(reinterpret_cast<const std::uint8_t*>(data), static_cast<std::size_t>(n)), mode);
    BIO_free(b);
  }
};

/// The process's test CA.
inline const crypto::CertificateAuthority& test_ca() {
  static TestCa instance;
  return *instance.ca;
}

}  // namespace cardctl::testing
