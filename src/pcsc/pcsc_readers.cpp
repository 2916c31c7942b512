// The pcsc-lite reader system: reader names (SCardListReaders) and a zero-timeout status snapshot
// (SCardGetStatusChange) for card presence and ATR, so listing never waits on a reader.
#include <winscard.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "cardctl/pcsc.hpp"
#include "pcsc_connection.hpp"
#include "pcsc_context.hpp"
#include "pcsc_error.hpp"

namespace cardctl::transport {

namespace {

std::vector<std::string> reader_names(const pcsc::Context& context) {
  LONG rv = SCARD_S_SUCCESS;
  for (int attempt = 0; attempt < 5; ++attempt) {  // retried when a reader appears between the two calls
    DWORD len = 0;
    rv = SCardListReaders(context.get(), nullptr, nullptr, &len);
    if (rv == SCARD_E_NO_READERS_AVAILABLE) return {};
    if (rv != SCARD_S_SUCCESS) throw pcsc::error_for(rv, {}, "listing the readers");
    std::string buffer(len, '\0');
    rv = SCardListReaders(context.get(), nullptr, buffer.data(), &len);
    if (rv == SCARD_E_INSUFFICIENT_BUFFER) continue;
    if (rv == SCARD_E_NO_READERS_AVAILABLE) return {};
    if (rv != SCARD_S_SUCCESS) throw pcsc::error_for(rv, {}, "listing the readers");
    buffer.resize(len);
    // A multi-string: names separated by NUL, ended by an empty one.
    std::vector<std::string> names;
    for (std::size_t pos = 0; pos < buffer.size() && buffer[pos] != '\0';) {
      const std::size_t end = buffer.find('\0', pos);
      names.push_back(buffer.substr(pos, end - pos));
      pos = end == std::string::npos ? buffer.size() : end + 1;
    }
    return names;
  }
  throw pcsc::error_for(rv, {}, "listing the readers");
}

// The states of the named readers as they are now (SCardGetStatusChange without waiting).
std::vector<SCARD_READERSTATE> current_states(const pcsc::Context& context, const std::vector<std::string>& names) {
  std::vector<SCARD_READERSTATE> states(names.size());
  for (std::size_t i = 0; i < names.size(); ++i) {
    states[i].szReader = names[i].c_str();
    states[i].dwCurrentState = SCARD_STATE_UNAWARE;
  }
  if (names.empty()) return states;
  const LONG rv = SCardGetStatusChange(context.get(), 0, states.data(), static_cast<DWORD>(states.size()));
  if (rv != SCARD_S_SUCCESS && rv != SCARD_E_TIMEOUT) throw pcsc::error_for(rv, {}, "reading reader states");
  return states;
}

class PcscReaderSystem final : public ReaderSystem {
 public:
  std::vector<ReaderInfo> list_readers() override {
    const pcsc::Context context;
    const std::vector<std::string> names = reader_names(context);
    const std::vector<SCARD_READERSTATE> states = current_states(context, names);
    std::vector<ReaderInfo> readers;
    for (std::size_t i = 0; i < names.size(); ++i) {
      ReaderInfo info;
      info.name = names[i];
      info.card_present = (states[i].dwEventState & SCARD_STATE_PRESENT) != 0;
      if (info.card_present) info.atr.assign(states[i].rgbAtr, states[i].rgbAtr + states[i].cbAtr);
      info.events = static_cast<std::uint32_t>(states[i].dwEventState >> 16) & 0xFFFFu;
      readers.push_back(std::move(info));
    }
    return readers;
  }

  // The states as they are now (zero timeout), then a wait for any of them to differ, with pcsc-lite's
  // "\\?PnP?\Notification" entry for readers that come or go. A change between the caller's last listing and
  // the snapshot is seen at the next listing, after the timeout at worst.
  bool wait_for_change(std::chrono::milliseconds timeout) override {
    try {
      return wait_once(timeout);
    } catch (const Error&) {  // pcscd gone or restarting: the caller's next listing reports it
      std::this_thread::sleep_for(timeout);
      return false;
    }
  }

  std::unique_ptr<Connection> connect(const std::string& reader, ShareMode mode) override {
    return pcsc::connect(reader, mode);
  }

 private:
  bool wait_once(std::chrono::milliseconds timeout) {
    const pcsc::Context context;
    const std::vector<std::string> names = reader_names(context);
    static const char* const kPnp = "\\\\?PnP?\\Notification";
    std::vector<SCARD_READERSTATE> states = current_states(context, names);
    for (auto& state : states) state.dwCurrentState = state.dwEventState & ~SCARD_STATE_CHANGED;
    SCARD_READERSTATE pnp{};
    pnp.szReader = kPnp;
    pnp.dwCurrentState = static_cast<DWORD>(names.size()) << 16;  // pcsc-lite: the reader count
    states.push_back(pnp);
    const LONG rv = SCardGetStatusChange(context.get(), static_cast<DWORD>(timeout.count()), states.data(),
                                         static_cast<DWORD>(states.size()));
    if (rv == SCARD_E_TIMEOUT) return false;
    if (rv != SCARD_S_SUCCESS) {  // a reader that went away mid-wait, pcscd restarting: list again after a pause
      std::this_thread::sleep_for(timeout);
      return false;
    }
    return true;
  }
};

}  // namespace

std::unique_ptr<ReaderSystem> make_pcsc_reader_system() { return std::make_unique<PcscReaderSystem>(); }

ReaderSystem& pcsc_readers() {
  static PcscReaderSystem system;
  return system;
}

}  // namespace cardctl::transport
