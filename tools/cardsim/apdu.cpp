// cardsim apdu: send raw APDUs to a card state file through the sim: transport and print the answers, one per
// line ("<data hex> <SW>"). For tests and training, e.g. to block a PIN with wrong VERIFYs.
#include <iostream>

#include "cardctl/bytes.hpp"
#include "cardctl/sim_transport.hpp"
#include "cardsim.hpp"

namespace cardsim {

int run_apdu(const ApduOptions& options) {
  require_card_file(options.file);
  auto conn = cardctl::transport::connect_sim(options.file, cardctl::transport::ShareMode::exclusive);
  for (const auto& hex : options.apdus) {
    auto r = conn->transmit(cardctl::from_hex(hex));
    std::uint8_t sw[2] = {r.sw1(), r.sw2()};
    std::cout << (r.data.empty() ? "" : cardctl::to_hex_upper(r.data) + " ") << cardctl::to_hex_upper(sw) << '\n';
  }
  conn->disconnect(options.reset ? cardctl::transport::Disposition::reset : cardctl::transport::Disposition::leave);
  return 0;
}

}  // namespace cardsim
