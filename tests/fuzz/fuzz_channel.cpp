// The channel is fed card responses from the fuzzer (a broken or hostile card): it always ends, fails only
// with cardctl::Error, sends only well-formed APDUs (short ones on a short connection), counts every APDU,
// and never shows a secret in the trace. Input: byte 0 = options, byte 1 = Le choice, then responses as
// length-prefixed R-APDUs; when they run out the card is "removed".
#include <array>
#include <cstdlib>
#include <optional>
#include <string>

#include "cardctl/channel.hpp"

namespace {
using namespace cardctl;

constexpr std::uint8_t kSecretByte = 0xA5;  // no header, Lc or Le byte below takes this value
constexpr std::array<std::size_t, 8> kDataSizes{0, 5, 8, 255, 256, 300, 510, 600};
const std::array<std::optional<std::size_t>, 5> kLe{std::nullopt, 8, 256, 4096, 65536};

class FuzzCard : public transport::Connection {
 public:
  FuzzCard(ByteView replies, bool extended) : replies_(replies), extended_(extended) {}
  apdu::Response transmit(ByteView command) override {
    ++sent;
    const apdu::Command c = apdu::parse_command(command);  // throws wrong_data: caught below as a failure
    if (!extended_ && command.size() > 4 + 1 + 255 + 1) std::abort();
    if (!extended_ && c.data.size() > 255) std::abort();
    if (replies_.empty()) throw Error(ErrorKind::card_removed, "card removed");
    const std::size_t n = std::min<std::size_t>(replies_[0], replies_.size() - 1);
    ByteView reply = replies_.subspan(1, n);
    replies_ = replies_.subspan(1 + n);
    if (reply.size() < 2) return {{}, apdu::sw::ok};
    return apdu::parse_response(reply);
  }
  void begin_transaction() override {}
  void end_transaction(transport::Disposition) override {}
  void disconnect(transport::Disposition) override {}
  const std::string& reader() const override { return name_; }
  Bytes atr() const override { return {}; }
  bool extended_length() const override { return extended_; }
  std::size_t sent = 0;

 private:
  ByteView replies_;
  bool extended_;
  std::string name_ = "fuzz";
};

bool only_masked(const std::string& body) {
  for (char ch : body)
    if (ch != '*' && ch != ' ') return false;
  return true;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::uint8_t options = data[0];
  const bool extended = options & 0x01;
  apdu::Command cmd{0x00, apdu::ins::put_data, 0x3F, 0xFF, SecureBytes(kDataSizes[(options >> 3) & 0x07], kSecretByte),
                    kLe[data[1] % kLe.size()]};
  cmd.secret_data = options & 0x02;
  cmd.secret_response = options & 0x04;

  FuzzCard card(ByteView(data + 2, size - 2), extended);
  Channel channel(card, [&](const std::string& line) {
    if (line.size() < 2) std::abort();
    // A secret byte may show only as the last byte of a line: a Le taken from the card's 6Cxx or 61xx.
    if (line[0] == '>' && cmd.secret_data) {
      const auto at = line.find("A5");
      if (at != std::string::npos && at != line.size() - 2) std::abort();
    }
    // "< ** ** 90 00": all but the status word masked.
    if (line[0] == '<' && cmd.secret_response && (line.size() < 7 || !only_masked(line.substr(1, line.size() - 7))))
      std::abort();
  });
  try {
    channel.transmit(cmd);
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::card_removed && e.kind() != ErrorKind::protocol) std::abort();
  }
  if (channel.apdu_count() != card.sent) std::abort();
  return 0;
}
