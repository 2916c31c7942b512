// Layer 10: choosing the card from --reader and --serial (docs/architecture.md#card-selection): never guess; when more
// than one card could be meant, fail and list them.
#pragma once

#include <memory>
#include <string>

#include "cardctl/transport.hpp"
#include "context.hpp"

namespace cardctl::cli {

/// Connects to the card the global options name. Without --serial this is ctx.open_reader(--reader). With
/// --serial, every matching reader that holds a card is asked for its serial and the one card that has it
/// is opened; Error(not_found) lists what was seen when none has it, Error(usage) lists the readers when
/// several do.
std::unique_ptr<transport::Connection> connect_card(const Context& ctx, transport::ShareMode mode);

/// Connects to the card in the reader spec (the --reader syntax: part of a name, @NAME, sim:PATH), for a card
/// other than the one the global options name (an operator's card). A missing sim: file gets a hint to create it.
std::unique_ptr<transport::Connection> connect_reader(const Context& ctx, const std::string& spec,
                                                      transport::ShareMode mode);

}  // namespace cardctl::cli
