// cardsim fault: edits the fault-injection fields of a state file (for tests on sim: cards).
#include "cardctl/sim_card.hpp"
#include "cardctl/sim_transport.hpp"
#include "cardsim.hpp"

namespace cardsim {

int run_fault(const FaultOptions& options) {
  require_card_file(options.file);
  cardctl::transport::StateFileLock lock(options.file);
  lock.acquire(std::chrono::milliseconds(0));
  auto card = cardctl::sim::ReferenceCard::load(options.file);
  if (options.clear) {
    card.reappear();
  } else {
    card.vanish_after(options.vanish_after);
  }
  card.save(options.file);
  say(options.clear ? options.file + ": no fault"
                    : options.file + ": the card vanishes after " + std::to_string(*options.vanish_after) +
                          " more APDUs");
  return 0;
}

}  // namespace cardsim
