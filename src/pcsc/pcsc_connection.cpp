#include "pcsc_connection.hpp"

#include <winscard.h>

#include <array>

#include "pcsc_context.hpp"
#include "pcsc_error.hpp"

namespace cardctl::transport::pcsc {

namespace {

DWORD disposition_code(Disposition d) { return d == Disposition::reset ? SCARD_RESET_CARD : SCARD_LEAVE_CARD; }

bool card_gone(LONG rv) { return rv == SCARD_W_REMOVED_CARD || rv == SCARD_E_NO_SMARTCARD; }

class PcscConnection final : public Connection {
 public:
  PcscConnection(std::string reader, ShareMode mode) : reader_(std::move(reader)) {
    const DWORD share = mode == ShareMode::exclusive ? SCARD_SHARE_EXCLUSIVE : SCARD_SHARE_SHARED;
    LONG rv = SCardConnect(context_.get(), reader_.c_str(), share, SCARD_PROTOCOL_T1 | SCARD_PROTOCOL_T0, &card_,
                           &protocol_);
    if (rv != SCARD_S_SUCCESS) throw error_for(rv, reader_, "connecting");
    connected_ = true;
    std::array<char, MAX_READERNAME + 1> name{};
    DWORD name_len = name.size();
    DWORD state = 0;
    DWORD protocol = 0;
    std::array<BYTE, MAX_ATR_SIZE> atr{};
    DWORD atr_len = atr.size();
    rv = SCardStatus(card_, name.data(), &name_len, &state, &protocol, atr.data(), &atr_len);
    if (rv != SCARD_S_SUCCESS) {
      SCardDisconnect(card_, SCARD_LEAVE_CARD);
      connected_ = false;
      throw error_for(rv, reader_, "reading the card's ATR");
    }
    atr_.assign(atr.begin(), atr.begin() + atr_len);
  }

  ~PcscConnection() override {
    try {
      disconnect(Disposition::reset);
    } catch (...) {
    }
  }

  apdu::Response transmit(ByteView command) override {
    require_connected();
    // The PCI names the protocol the card was connected with (PC/SC part 5, SCardTransmit).
    const SCARD_IO_REQUEST* pci = protocol_ == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1;
    Bytes reply(MAX_BUFFER_SIZE_EXTENDED);
    DWORD reply_len = reply.size();
    const LONG rv = SCardTransmit(card_, pci, command.data(), command.size(), nullptr, reply.data(), &reply_len);
    if (rv != SCARD_S_SUCCESS) throw error_for(rv, reader_, "sending an APDU");
    if (reply_len < 2) {
      // No status word (ISO 7816-4 §5.1.3 makes SW1-SW2 mandatory): the card stopped answering in the middle of
      // the exchange. vpcd reports a card that leaves during an APDU this way, before pcscd notices the removal.
      throw Error(ErrorKind::card_removed, "card removed from reader '" + reader_ + "' (no answer to the APDU)",
                  "insert the card and run the command again");
    }
    reply.resize(reply_len);
    return apdu::parse_response(reply);
  }

  void begin_transaction() override {
    require_connected();
    if (in_transaction_) return;
    const LONG rv = SCardBeginTransaction(card_);
    if (rv != SCARD_S_SUCCESS) throw error_for(rv, reader_, "starting a transaction");
    in_transaction_ = true;
  }

  void end_transaction(Disposition disposition) override {
    if (!connected_ || !in_transaction_) return;
    in_transaction_ = false;
    const LONG rv = SCardEndTransaction(card_, disposition_code(disposition));
    if (rv != SCARD_S_SUCCESS && !card_gone(rv)) throw error_for(rv, reader_, "ending a transaction");
  }

  void disconnect(Disposition disposition) override {
    if (!connected_) return;
    connected_ = false;
    in_transaction_ = false;
    const LONG rv = SCardDisconnect(card_, disposition_code(disposition));
    if (rv != SCARD_S_SUCCESS && !card_gone(rv)) throw error_for(rv, reader_, "disconnecting");
  }

  const std::string& reader() const override { return reader_; }
  Bytes atr() const override { return atr_; }

 private:
  void require_connected() const {
    if (!connected_) throw Error(ErrorKind::internal, "reader '" + reader_ + "' is not connected");
  }

  Context context_;
  std::string reader_;
  SCARDHANDLE card_ = 0;
  DWORD protocol_ = 0;
  Bytes atr_;
  bool connected_ = false;
  bool in_transaction_ = false;
};

}  // namespace

std::unique_ptr<Connection> connect(const std::string& reader, ShareMode mode) {
  return std::make_unique<PcscConnection>(reader, mode);
}

}  // namespace cardctl::transport::pcsc
