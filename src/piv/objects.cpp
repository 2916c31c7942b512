// Data objects: GET DATA / PUT DATA (SP 800-73-4 Part 2 §3.1.2, §3.3.1), certificates and the CHUID
// (SP 800-73-4 Part 1 §3.1.2, Appendix A).
#include <cstdio>

#include "cardctl/error.hpp"
#include "cardctl/piv.hpp"
#include "cardctl/tlv.hpp"

namespace cardctl::piv {

namespace {
// CHUID elements not in piv_ids.hpp (SP 800-73-4 Part 1 Appendix A, Table 9).
constexpr std::uint32_t kChuidFascn = 0x30;
constexpr std::uint32_t kChuidExpiry = 0x35;
constexpr std::uint32_t kChuidSignature = 0x3E;
// FASC-N with agency code 9999 and all-zero fields ("no FASC-N"), byte for byte as yubico-piv-tool writes it.
constexpr const char* kNoFascn = "D4E739DA739CED39CE739D836858210842108421C84210C3EB";
constexpr const char* kChuidExpiryDate = "20300101";  // YYYYMMDD

Bytes object_id_bytes(std::uint32_t id) {
  if (id <= 0xFF) return {static_cast<std::uint8_t>(id)};
  if (id <= 0xFFFF) return {static_cast<std::uint8_t>(id >> 8), static_cast<std::uint8_t>(id)};
  return {static_cast<std::uint8_t>(id >> 16), static_cast<std::uint8_t>(id >> 8), static_cast<std::uint8_t>(id)};
}

std::string object_name(std::uint32_t id) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%X", id);
  return std::string("object ") + buf;
}
}  // namespace

std::optional<Bytes> PivSession::get_object(std::uint32_t id) {
  auto r = channel_.transmit(
      {0x00, apdu::ins::get_data, 0x3F, 0xFF, tlv::encode_secure(tag::object_id, object_id_bytes(id)), 256});
  if (r.sw == apdu::sw::not_found) return std::nullopt;
  apdu::check(r, "reading " + object_name(id));
  std::uint32_t outer = id == object::discovery ? object::discovery : tag::data;
  ByteView value = tlv::expect(r.data, outer);
  return Bytes(value.begin(), value.end());
}

void PivSession::put_object(std::uint32_t id, ByteView value) {
  SecureBytes data = tlv::encode_secure(tag::object_id, object_id_bytes(id));  // command data is SecureBytes
  tlv::append(data, tag::data, value);
  channel_.transmit_ok({0x00, apdu::ins::put_data, 0x3F, 0xFF, std::move(data), std::nullopt}, "writing " + object_name(id));
}

void PivSession::delete_object(std::uint32_t id) { put_object(id, {}); }

std::optional<Bytes> PivSession::get_certificate(std::uint8_t slot) {
  auto id = certificate_object_for_slot(slot);
  if (!id) throw Error(ErrorKind::usage, "slot " + to_hex(Bytes{slot}) + " holds no certificate");
  auto content = get_object(*id);
  if (!content) return std::nullopt;
  auto cert = tlv::find(*content, tag::cert);
  if (!cert || cert->empty()) return std::nullopt;
  if (auto info = tlv::find(*content, tag::cert_info); info && !info->empty() && ((*info)[0] & 0x01))
    throw Error(ErrorKind::unsupported, "the certificate in slot " + to_hex(Bytes{slot}) + " is compressed");
  return Bytes(cert->begin(), cert->end());
}

void PivSession::put_certificate(std::uint8_t slot, ByteView der) {
  auto id = certificate_object_for_slot(slot);
  if (!id) throw Error(ErrorKind::usage, "slot " + to_hex(Bytes{slot}) + " holds no certificate");
  Bytes content = tlv::encode(tag::cert, der);
  tlv::append(content, tag::cert_info, Bytes{0x00});
  tlv::append(content, tag::error_detection, {});
  put_object(*id, content);
}

std::optional<KeyHistory> PivSession::key_history() {
  auto value = get_object(object::key_history);
  if (!value) return std::nullopt;
  auto count = [&](std::uint32_t t) -> std::uint8_t {
    auto v = tlv::find(*value, t);
    return v && v->size() == 1 ? (*v)[0] : 0;
  };
  return KeyHistory{count(tag::key_history_on_card), count(tag::key_history_off_card)};
}

void PivSession::put_key_history(const KeyHistory& history) {
  Bytes content = tlv::encode(tag::key_history_on_card, Bytes{history.on_card});
  tlv::append(content, tag::key_history_off_card, Bytes{history.off_card});
  tlv::append(content, tag::error_detection, {});
  put_object(object::key_history, content);
}

void PivSession::put_chuid(ByteView guid16) {
  if (guid16.size() != 16) throw Error(ErrorKind::usage, "a CHUID GUID is 16 bytes");
  // SP 800-73-4 Part 1 §3.1.2: FASC-N, GUID, expiration date, an empty issuer signature, error detection code.
  Bytes content = tlv::encode(kChuidFascn, from_hex(kNoFascn));
  tlv::append(content, tag::chuid_guid, guid16);
  tlv::append(content, kChuidExpiry, to_bytes(kChuidExpiryDate));
  tlv::append(content, kChuidSignature, {});
  tlv::append(content, tag::error_detection, {});
  put_object(object::chuid, content);
}

}  // namespace cardctl::piv
