#include <cstdio>
#include <ctime>
#include <memory>
#include <openssl/asn1.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "cardctl/x509.hpp"

namespace cardctl::crypto {

namespace {
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
}  // namespace

CertSummary summarize_certificate(ByteView der) {
  CertSummary summary;
  const unsigned char* p = der.data();
  std::unique_ptr<X509, X509Free> cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!cert) return summary;
  summary.parsed = true;

  X509_NAME* subject = X509_get_subject_name(cert.get());
  int index = subject ? X509_NAME_get_index_by_NID(subject, NID_commonName, -1) : -1;
  if (index >= 0) {
    ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index));
    unsigned char* utf8 = nullptr;
    int n = ASN1_STRING_to_UTF8(&utf8, data);
    if (n >= 0) {
      summary.subject_cn = std::string(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(n));
      OPENSSL_free(utf8);
    }
  }

  struct tm t {};
  const ASN1_TIME* not_after = X509_get0_notAfter(cert.get());
  if (not_after != nullptr && ASN1_TIME_to_tm(not_after, &t) == 1) {
    char text[80];  // room for any int in each field
    std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02dZ", t.tm_year + 1900, t.tm_mon + 1, t.tm_mday,
                  t.tm_hour, t.tm_min, t.tm_sec);
    summary.not_after = text;
  }
  return summary;
}

}  // namespace cardctl::crypto
