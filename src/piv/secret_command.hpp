// Commands whose data field is a PIN, PUK or key (SP 800-73-4 Part 2 §3.2.1-§3.2.3; YubiKey SET MANAGEMENT
// KEY): masked in the trace. Wiping is structural: apdu::Command::data is SecureBytes, so the command, its
// encoded APDU and every chained block are wiped when freed, transport errors included. Internal to cardctl_piv.
#pragma once

#include <initializer_list>

#include "cardctl/apdu.hpp"
#include "cardctl/bytes.hpp"
#include "cardctl/channel.hpp"

namespace cardctl::piv::detail {

/// The parts joined in one self-wiping buffer, reserved up front so it is written without reallocating.
SecureBytes secret_buffer(std::initializer_list<ByteView> parts);

/// Sends command with secret_data set, so the trace masks its data field.
apdu::Response transmit_secret(Channel& channel, apdu::Command command);

}  // namespace cardctl::piv::detail
