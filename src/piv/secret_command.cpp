// Secret-carrying commands: one place that marks them for the trace (docs/architecture.md#framing). Their data is
// SecureBytes (apdu::Command::data), which wipes itself: nothing is wiped by hand here.
#include "secret_command.hpp"

namespace cardctl::piv::detail {

SecureBytes secret_buffer(std::initializer_list<ByteView> parts) {
  std::size_t total = 0;
  for (auto p : parts) total += p.size();
  SecureBytes out;
  out.reserve(total);
  for (auto p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

apdu::Response transmit_secret(Channel& channel, apdu::Command command) {
  command.secret_data = true;
  return channel.transmit(command);
}

}  // namespace cardctl::piv::detail
