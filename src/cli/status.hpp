// `cardctl status`: what a card is and how it stands — identity, PIN/PUK tries left, the management key,
// the key slots and certificates, the CHUID GUID. Reads only: it spends no PIN or PUK try.
#pragma once

#include "context.hpp"

namespace cardctl::cli {

struct StatusOptions {  // --reader, --serial and --json are global
  bool all_slots = false;  // read every retired slot, whatever the key history object says
};

void setup_status(CLI::App& app, Context& ctx);
void run_status(const StatusOptions& options, Context& ctx);

}  // namespace cardctl::cli
