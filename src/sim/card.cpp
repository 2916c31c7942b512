#include <algorithm>

#include "card_impl.hpp"
#include "cardctl/error.hpp"
#include "cardctl/files.hpp"
#include "cardctl/sim_card.hpp"

namespace cardctl::sim {

namespace {
constexpr std::size_t kMaxResponseChunk = 256;
constexpr std::uint8_t kChainBit = 0x10;
}  // namespace

void ReferenceCardImpl::reset() {
  state.session = Session{};
}

Response ReferenceCardImpl::page(Response r) {
  if (r.data.size() <= kMaxResponseChunk) return r;
  // docs/protocol.md#framing: 256 bytes now, the rest with GET RESPONSE; 61 xx says how much remains.
  state.session.response.assign(r.data.begin() + kMaxResponseChunk, r.data.end());
  r.data.resize(kMaxResponseChunk);
  std::size_t left = state.session.response.size();
  r.sw = static_cast<std::uint16_t>(apdu::sw::bytes_remaining | (left >= 256 ? 0 : left));
  return r;
}

Bytes ReferenceCardImpl::process(ByteView raw) {
  if (state.vanished) throw Error(ErrorKind::card_removed, "card removed");
  if (state.vanish_after) {
    if (*state.vanish_after == 0) {
      state.vanished = true;
      throw Error(ErrorKind::card_removed, "card removed");
    }
    --*state.vanish_after;
  }
  Command c;
  try {
    c = apdu::parse_command(raw);
  } catch (const Error&) {
    state.session.response.clear();
    return apdu::encode_response(status(apdu::sw::wrong_length));
  }
  if (c.ins == apdu::ins::get_response && (c.cla & ~kChainBit) == 0) {
    auto& pending = state.session.response;
    if (pending.empty()) return apdu::encode_response(status(apdu::sw::conditions));
    Response r;
    std::size_t n = std::min(pending.size(), kMaxResponseChunk);
    r.data.assign(pending.begin(), pending.begin() + static_cast<long>(n));
    pending.erase(pending.begin(), pending.begin() + static_cast<long>(n));
    std::size_t left = pending.size();
    r.sw = left == 0 ? apdu::sw::ok : static_cast<std::uint16_t>(apdu::sw::bytes_remaining | (left >= 256 ? 0 : left));
    return apdu::encode_response(r);
  }
  state.session.response.clear();  // any other command drops data not fetched (docs/protocol.md#session-rules)
  if ((c.cla & ~kChainBit) != 0x00) return apdu::encode_response(status(apdu::sw::cla_not_supported));
  auto& chain = state.session.chain;
  if (c.cla & kChainBit) {  // ISO 7816-4 §5.4.1: collect until the last block
    if (!chain.empty() && state.session.chain_ins != c.ins) chain.clear();
    state.session.chain_ins = c.ins;
    chain.insert(chain.end(), c.data.begin(), c.data.end());
    return apdu::encode_response(ok());
  }
  if (!chain.empty()) {
    if (state.session.chain_ins == c.ins) c.data.insert(c.data.begin(), chain.begin(), chain.end());
    chain.clear();
  }
  return apdu::encode_response(page(dispatch(c)));
}

Response ReferenceCardImpl::dispatch(const Command& c) {
  if (c.ins == apdu::ins::select) return select(c);
  if (state.session.selected == Selected::yubico_mgmt) return management(c);
  if (state.session.selected != Selected::piv) return status(apdu::sw::ins_not_supported);
  try {
    switch (c.ins) {
      case apdu::ins::verify: return verify(c);
      case apdu::ins::change_reference: return change_reference(c);
      case apdu::ins::reset_retry_counter: return reset_retry_counter(c);
      case apdu::ins::general_authenticate: return general_authenticate(c);
      case apdu::ins::generate_key: return generate(c);
      case apdu::ins::get_data: return get_data(c);
      case apdu::ins::put_data: return put_data(c);
      case apdu::ins::get_version: return get_version(c);
      case apdu::ins::get_serial: return get_serial(c);
      case apdu::ins::set_management_key: return set_management_key(c);
      case apdu::ins::set_pin_retries: return set_pin_retries(c);
      case apdu::ins::reset: return reset_application(c);
      case apdu::ins::get_metadata: return get_metadata(c);
      case apdu::ins::attest: return attest(c);
      default: return status(apdu::sw::ins_not_supported);
    }
  } catch (const Error& e) {
    // Malformed TLV inside a command, or a key that cannot do what was asked.
    if (e.kind() == ErrorKind::card_removed) throw;
    return status(apdu::sw::incorrect_data);
  }
}

// --- ReferenceCard (the public face) -----------------------------------------------------------

ReferenceCard::ReferenceCard(std::unique_ptr<ReferenceCardImpl> impl) : impl_(std::move(impl)) {}
ReferenceCard::ReferenceCard(ReferenceCard&&) noexcept = default;
ReferenceCard& ReferenceCard::operator=(ReferenceCard&&) noexcept = default;
ReferenceCard::~ReferenceCard() = default;

ReferenceCard ReferenceCard::factory(const CardOptions& options) {
  CardState state = CardState::factory(options);
  state.ensure_attestation();
  return ReferenceCard(std::make_unique<ReferenceCardImpl>(std::move(state)));
}

ReferenceCard ReferenceCard::load(const std::string& path) {
  Bytes text = files::read(path);
  CardState state =
      CardState::from_toml(std::string_view(reinterpret_cast<const char*>(text.data()), text.size()), path);
  // A file written before the card had an attestation key gets one now; it is kept with the next save, which
  // every APDU through sim: or cardsim serve makes.
  state.ensure_attestation();
  return ReferenceCard(std::make_unique<ReferenceCardImpl>(std::move(state)));
}

void ReferenceCard::save(const std::string& path) const {
  std::string text = impl_->state.to_toml();
  files::write_atomic(path, view(text), 0600);
  secure_wipe(text.data(), text.size());
}

Bytes ReferenceCard::process(ByteView command) { return impl_->process(command); }
void ReferenceCard::reset() { impl_->reset(); }

Bytes ReferenceCard::atr() const {
  // T=1 ATR (ISO 7816-3 §8): TS 3B, T0 F8 (TA1 TB1 TC1 TD1, 8 historical bytes), TA1 13, TB1 00, TC1 00,
  // TD1 81 (TD2 follows, T=1), TD2 31 (TA3 TB3, T=1), TA3 FE (IFSC), TB3 15, historical "\x80cardctl", TCK.
  Bytes atr = from_hex("3BF81300008131FE15");
  Bytes hist = concat({Bytes{0x80}, to_bytes("cardctl")});
  atr.insert(atr.end(), hist.begin(), hist.end());
  std::uint8_t tck = 0;
  for (std::size_t i = 1; i < atr.size(); ++i) tck ^= atr[i];
  atr.push_back(tck);
  return atr;
}

void ReferenceCard::vanish_after(std::optional<std::uint64_t> n) { impl_->state.vanish_after = n; }
bool ReferenceCard::vanished() const { return impl_->state.vanished; }
void ReferenceCard::reappear() {
  impl_->state.vanished = false;
  impl_->state.vanish_after.reset();
  impl_->reset();
}
const CardOptions& ReferenceCard::options() const { return impl_->state.options; }
ReferenceCard::RetryCounters ReferenceCard::retry_counters() const {
  const CardState& s = impl_->state;
  return {s.pin.left, s.pin.max, s.puk.left, s.puk.max};
}
void ReferenceCard::set_random(crypto::RandomSource random) { impl_->random = std::move(random); }

}  // namespace cardctl::sim
