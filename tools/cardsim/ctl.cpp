// cardsim ctl: one command to a running `cardsim serve --control SOCKET`; the answer goes to stdout.
#include <iostream>

#include "cardctl/error.hpp"
#include "cardsim.hpp"
#include "control_server.hpp"

namespace cardsim {

int run_ctl(const CtlOptions& options) {
  std::string line;
  for (const std::string& w : options.words) line += (line.empty() ? "" : " ") + w;
  const std::string answer = control_request(options.socket, line);
  if (answer.starts_with("error: ")) {
    say(answer);
    return 2;  // cardsim(1): usage
  }
  std::cout << answer << std::endl;
  return 0;
}

}  // namespace cardsim
