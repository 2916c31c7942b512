// Layer 10: what `status` shows of a slot's certificate (RFC 5280 §4.1): subject common name and expiry.
#pragma once

#include <optional>
#include <string>

#include "cardctl/bytes.hpp"

namespace cardctl::cli {

struct CertSummary {
  bool parsed = false;                   // false when the DER is not an X.509 certificate OpenSSL can read
  std::optional<std::string> subject_cn;  // first CN of the subject
  std::optional<std::string> not_after;   // "2026-11-22T10:38:00Z"
};

CertSummary summarize_certificate(ByteView der);

}  // namespace cardctl::cli
