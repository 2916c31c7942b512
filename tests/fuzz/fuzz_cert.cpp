// The certificate summary `status` shows (src/crypto/cert_summary.cpp) for whatever DER a card returns: no crash;
// nothing but `parsed` without a certificate; a subject CN in valid UTF-8 (it goes to text and JSON output); an
// expiry of the form 2026-11-22T10:38:00Z; the same summary for the certificate re-encoded (RFC 5280 §4.1).
#include <cstdlib>
#include <memory>
#include <openssl/x509.h>

#include "cardctl/x509.hpp"
#include "fuzz_util.hpp"

namespace {
using namespace cardctl;
using fuzz::fail;

bool valid_utf8(const std::string& s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    const std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    std::uint32_t cp = n == 1 ? c : c & (0x7F >> n);
    for (std::size_t k = 1; k < n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = cp << 6 | (cc & 0x3F);
    }
    static constexpr std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n;
  }
  return true;
}

bool iso_time(const std::string& t) {
  static const std::string form = "dddd-dd-ddTdd:dd:ddZ";
  if (t.size() != form.size()) return false;
  for (std::size_t i = 0; i < t.size(); ++i)
    if (form[i] == 'd' ? !(t[i] >= '0' && t[i] <= '9') : t[i] != form[i]) return false;
  return true;
}

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto s = crypto::summarize_certificate(ByteView(data, size));
  if (!s.parsed) {
    if (s.subject_cn || s.not_after) fail("fields without a certificate");
    return 0;
  }
  if (s.subject_cn && !valid_utf8(*s.subject_cn)) fail("subject CN is not UTF-8");
  if (s.not_after && !iso_time(*s.not_after)) fail("expiry not in ISO-8601 form");
  const unsigned char* p = data;
  std::unique_ptr<X509, X509Free> cert(d2i_X509(nullptr, &p, static_cast<long>(size)));
  unsigned char* der = nullptr;
  const int n = cert ? i2d_X509(cert.get(), &der) : -1;
  if (n <= 0) return 0;
  const auto again = crypto::summarize_certificate(ByteView(der, static_cast<std::size_t>(n)));
  OPENSSL_free(der);
  if (!again.parsed || again.subject_cn != s.subject_cn || again.not_after != s.not_after)
    fail("summary changes when the certificate is re-encoded");
  return 0;
}
