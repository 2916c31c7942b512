// PIV session: open, SELECT, identity (SP 800-73-4 Part 2 §3.1.1; YubiKey GET VERSION / GET SERIAL).
#include <cstdio>
#include <exception>

#include "cardctl/error.hpp"
#include "cardctl/piv.hpp"
#include "cardctl/tlv.hpp"

namespace cardctl::piv {

std::string Version::to_string() const {
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
}

bool Version::at_least(int ma, int mi, int pa) const {
  if (major != ma) return major > ma;
  if (minor != mi) return minor > mi;
  return patch >= pa;
}

SecureBytes pad_reference(ByteView value) {
  if (value.size() < 6 || value.size() > 8)
    throw Error(ErrorKind::usage, "a PIN or PUK has 6 to 8 characters, got " + std::to_string(value.size()));
  SecureBytes out(value.begin(), value.end());
  out.resize(8, 0xFF);
  return out;
}

PivSession::PivSession(transport::Connection& connection, SessionOptions options)
    : channel_(connection, options.trace), options_(std::move(options)) {
  if (options_.hold_transaction) {
    connection.begin_transaction();
    in_transaction_ = true;
  }
  try {
    if (options_.select_on_open) select();
  } catch (...) {
    if (in_transaction_) {
      try {
        connection.end_transaction(transport::Disposition::leave);
      } catch (...) {
      }
      in_transaction_ = false;
    }
    throw;
  }
}

PivSession::~PivSession() {
  try {
    if (!closed_ && in_transaction_) channel_.connection().end_transaction(transport::Disposition::leave);
  } catch (...) {
  }
}

void PivSession::close(transport::Disposition disposition) {
  if (closed_) return;
  closed_ = true;
  // Disconnect even when ending the transaction fails (a removed card); the first failure is reported.
  std::exception_ptr failure;
  if (in_transaction_) {
    in_transaction_ = false;
    try {
      channel_.connection().end_transaction(disposition);
    } catch (...) {
      failure = std::current_exception();
    }
  }
  try {
    channel_.connection().disconnect(disposition);
  } catch (...) {
    if (!failure) failure = std::current_exception();
  }
  if (failure) std::rethrow_exception(failure);
}

void PivSession::select() {
  apdu::Command c{0x00, apdu::ins::select, 0x04, 0x00, SecureBytes(kPivAid.begin(), kPivAid.begin() + 5), 256};
  auto r = channel_.transmit(c);
  if (r.sw == apdu::sw::not_found || r.sw == apdu::sw::ins_not_supported)
    throw Error(ErrorKind::not_found, "the card in " + channel_.connection().reader() + " has no PIV application",
                "is this a PIV card? Check the reader with: cardctl readers")
        .with_sw(r.sw);
  apdu::check(r, "selecting the PIV application");
}

std::optional<Version> PivSession::version() {
  auto r = channel_.transmit({0x00, apdu::ins::get_version, 0x00, 0x00, {}, 256});
  if (!r.ok() || r.data.size() < 3) return std::nullopt;
  return Version{r.data[0], r.data[1], r.data[2]};
}

std::optional<std::uint32_t> PivSession::serial() {
  auto r = channel_.transmit({0x00, apdu::ins::get_serial, 0x00, 0x00, {}, 256});
  if (!r.ok() || r.data.size() < 4) return std::nullopt;
  return static_cast<std::uint32_t>(r.data[0]) << 24 | static_cast<std::uint32_t>(r.data[1]) << 16 |
         static_cast<std::uint32_t>(r.data[2]) << 8 | r.data[3];
}

std::optional<std::string> PivSession::card_id_of(std::optional<std::uint32_t> serial,
                                                  const std::optional<Bytes>& chuid) {
  // docs/architecture.md#card-id: the serial in decimal, else the CHUID GUID (tag 34) as 32 lower-case hex digits.
  if (serial) return std::to_string(*serial);
  if (chuid) {
    auto guid = tlv::find(*chuid, tag::chuid_guid);
    if (guid && guid->size() == 16) return to_hex(*guid);
  }
  return std::nullopt;
}

std::string PivSession::card_id() {
  auto s = serial();
  if (auto id = card_id_of(s, s ? std::nullopt : get_object(object::chuid))) return *id;
  throw Error(ErrorKind::not_found, "the card has neither a serial number nor a CHUID with a GUID",
              "issue it first (cardctl issue) so that it gets a CHUID");
}

}  // namespace cardctl::piv
