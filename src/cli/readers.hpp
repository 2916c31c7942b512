// `cardctl readers`: the PC/SC readers, whether each holds a card, and its ATR. sim: cards are files, not
// readers, and are not listed.
#pragma once

#include "context.hpp"

namespace cardctl::cli {

struct ReadersOptions {};  // --reader (filter) and --json are global

void setup_readers(CLI::App& app, Context& ctx);
void run_readers(const ReadersOptions& options, Context& ctx);

}  // namespace cardctl::cli
