// The PIV session against a hostile card: every reply (SELECT, metadata, public keys, CHUID, certificates,
// challenges and witnesses, serial and version) comes from the fuzzer. The session must fail only with
// cardctl::Error, send only well-formed APDUs (short ones unless the connection allows extended), keep the PIN,
// PUK and admin key out of the trace and out of every error message and hint (unless the card itself sent those
// bytes), and report card IDs and retry counts of the documented forms (a card id is the decimal serial or the
// CHUID GUID as 32 hex digits).
//
// Input: byte 0 = options (bit 0 extended length, bit 1 hold the transaction), then steps of two bytes
// (operation, argument; session_ops.hpp) with, after each, the card's replies as 2-byte-length-prefixed R-APDUs,
// consumed as the session sends. When the input runs out the card is removed.
#include <cctype>
#include <cstdlib>
#include <string>
#include <vector>

#include "cardctl/error.hpp"
#include "cardctl/piv.hpp"
#include "fuzz_util.hpp"
#include "session_ops.hpp"

namespace {
using namespace cardctl;
using fuzz::fail;

constexpr std::size_t kMaxSteps = 32;

class FuzzCard : public transport::Connection {
 public:
  FuzzCard(fuzz::Input& in, bool extended) : in_(in), extended_(extended) {}
  apdu::Response transmit(ByteView command) override {
    apdu::Command c;
    try {
      c = apdu::parse_command(command);
    } catch (const Error&) {
      fail("malformed APDU sent");
    }
    if (!extended_ && (command.size() > 4 + 1 + 255 + 1 || c.data.size() > 255)) fail("extended APDU sent");
    if (in_.empty()) throw Error(ErrorKind::card_removed, "card removed");
    ByteView reply = in_.take(in_.u16() % 2048);
    said.insert(said.end(), reply.begin(), reply.end());
    if (reply.size() < 2) return {{}, apdu::sw::ok};
    return apdu::parse_response(reply);
  }
  void begin_transaction() override {}
  void end_transaction(transport::Disposition) override {}
  void disconnect(transport::Disposition) override {}
  const std::string& reader() const override { return name_; }
  Bytes atr() const override { return {0x3B, 0x00}; }
  bool extended_length() const override { return extended_; }
  Bytes said;  // everything the card answered

 private:
  fuzz::Input& in_;
  bool extended_;
  std::string name_ = "fuzz";
};

// The forms in which a secret could leak into text: as typed, and its bytes (padded when a PIN or PUK) in hex.
std::vector<std::string> leak_forms() {
  std::vector<std::string> out;
  for (const std::string& s : {fuzz::kPin, fuzz::kNewPin, fuzz::kPuk, fuzz::kNewPuk}) {
    const SecureBytes p = piv::pad_reference(view(s));
    const Bytes padded(p.begin(), p.end());
    out.insert(out.end(), {s, to_hex(view(s)), to_hex_upper(view(s)), to_hex(padded), to_hex_upper(padded)});
  }
  for (int a = 0; a < 4; ++a) {
    const Bytes k = fuzz::admin_key_bytes(static_cast<crypto::AdminAlgorithm>(a));
    out.insert(out.end(), {to_hex(k), to_hex_upper(k), std::string(k.begin(), k.end())});
  }
  return out;
}

bool card_id_form(const std::string& id) {
  bool digits = !id.empty() && id.size() <= 10, hex = id.size() == 32;
  for (char c : id) {
    digits = digits && std::isdigit(static_cast<unsigned char>(c));
    hex = hex && (std::isdigit(static_cast<unsigned char>(c)) || (c >= 'a' && c <= 'f'));
  }
  return digits || hex;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::vector<std::string> forms = leak_forms();
  fuzz::Input in(data, size);
  const std::uint8_t options = in.byte();
  FuzzCard card(in, options & 0x01);
  std::vector<std::string> trace;
  auto check_error = [&](const Error& e) {
    const std::string card_said =
        std::string(card.said.begin(), card.said.end()) + "\n" + to_hex(card.said) + "\n" + to_hex_upper(card.said);
    for (const auto& f : forms)
      if ((fuzz::contains(e.what(), f) || fuzz::contains(e.hint(), f)) && !fuzz::contains(card_said, f))
        fail("a secret in an error message");
  };
  try {
    piv::PivSession session(card, {.hold_transaction = (options & 0x02) != 0,
                                   .trace = [&](const std::string& line) { trace.push_back(line); }});
    for (std::size_t i = 0; i < kMaxSteps && !in.empty(); ++i) {
      const std::uint8_t op = in.byte(), arg = in.byte();
      try {
        const std::string result = fuzz::run_op(session, op, arg);
        if (op % fuzz::op_count == fuzz::op_card_id && !card_id_form(result)) fail("card ID of an unknown form");
        if (op % fuzz::op_count == fuzz::op_pin_retries || op % fuzz::op_count == fuzz::op_puk_retries) {
          const int n = std::stoi(result);
          if (n < -1 || n > 255) fail("retry count out of range");
        }
      } catch (const Error& e) {
        check_error(e);
      }
    }
    session.close(transport::Disposition::leave);
  } catch (const Error& e) {
    check_error(e);
  }
  for (const auto& line : trace)
    if (line.starts_with(">"))
      for (const auto& f : forms)
        if (fuzz::contains(line, f)) fail("a secret in the trace");
  return 0;
}
