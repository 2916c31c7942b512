// Layer 10: choosing the card from --reader and --serial (DESIGN.md §7): never guess; when more than one
// card could be meant, fail and list them.
#pragma once

#include <memory>

#include "cardctl/transport.hpp"
#include "context.hpp"

namespace cardctl::cli {

/// Connects to the card the global options name. Without --serial this is ctx.open_reader(--reader). With
/// --serial, every matching reader that holds a card is asked for its serial and the one card that has it
/// is opened; Error(not_found) lists what was seen when none has it, Error(usage) lists the readers when
/// several do.
std::unique_ptr<transport::Connection> connect_card(const Context& ctx, transport::ShareMode mode);

}  // namespace cardctl::cli
