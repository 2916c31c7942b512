// Secret-carrying commands: one place that marks them for the trace and wipes their data (STYLE.md 10).
#include "secret_command.hpp"

namespace cardctl::piv::detail {

Bytes secret_buffer(std::initializer_list<ByteView> parts) {
  std::size_t total = 0;
  for (auto p : parts) total += p.size();
  Bytes out;
  out.reserve(total);
  for (auto p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

apdu::Response transmit_secret(Channel& channel, apdu::Command command) {
  command.secret_data = true;
  struct Wipe {
    Bytes& data;
    ~Wipe() { secure_wipe(data.data(), data.size()); }
  } wipe{command.data};
  return channel.transmit(command);
}

}  // namespace cardctl::piv::detail
