// PC/SC return codes turned into cardctl errors, in one place (docs/architecture.md#errors). Private to cardctl_pcsc.
#pragma once

#include <string>

#include "cardctl/error.hpp"

namespace cardctl::transport::pcsc {

/// The Error for a failed PC/SC call (rv is a pcsc-lite LONG). `reader` names the reader when there is one;
/// `doing` says what was being done ("connecting", "sending an APDU"). Removed card -> card_removed naming the
/// reader; no pcscd -> transport with the hint to start it; no readers -> not_found; sharing violation ->
/// conflict; anything else -> transport with the PC/SC code and pcsc_stringify_error text.
Error error_for(long rv, const std::string& reader, const std::string& doing);

}  // namespace cardctl::transport::pcsc
