// A connection to one PC/SC reader. Private to cardctl_pcsc.
#pragma once

#include <memory>
#include <string>

#include "cardctl/transport.hpp"

namespace cardctl::transport::pcsc {

/// SCardConnect to `reader` (T=1 or T=0, shared or exclusive). Throws the mapped Error.
std::unique_ptr<Connection> connect(const std::string& reader, ShareMode mode);

}  // namespace cardctl::transport::pcsc
