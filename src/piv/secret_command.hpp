// Commands whose data field is a PIN, PUK or key (SP 800-73-4 Part 2 §3.2.1-§3.2.3; YubiKey SET MANAGEMENT
// KEY): masked in the trace and wiped on every way out, transport errors included. Internal to cardctl_piv.
#pragma once

#include <initializer_list>

#include "cardctl/apdu.hpp"
#include "cardctl/bytes.hpp"
#include "cardctl/channel.hpp"

namespace cardctl::piv::detail {

/// The parts joined in one buffer reserved up front, so that no reallocation frees an unwiped copy.
Bytes secret_buffer(std::initializer_list<ByteView> parts);

/// Sends command with secret_data set; its data is wiped afterwards, whether the card answered or not.
apdu::Response transmit_secret(Channel& channel, apdu::Command command);

}  // namespace cardctl::piv::detail
