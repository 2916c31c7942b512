// The Yubico management application (AID A0 00 00 05 27 47 11 17) as far as a PIV-only YubiKey 5 shows it:
// SELECT answers the firmware version as text, READ CONFIG (INS 1D) the device information. Nothing can be
// configured: the card has PIV and nothing else (docs/protocol.md#yubico-management-application).
#include <string>

#include "card_impl.hpp"
#include "cardctl/tlv.hpp"

namespace cardctl::sim {

namespace {
constexpr std::uint8_t kInsReadConfig = 0x1D;
// Device information tags and capability bits (Yubico .NET SDK user's manual, Management application, "Get
// device information": 01 available capabilities over USB, 02 serial number, 03 capabilities enabled over USB,
// 04 form factor, 0A configuration lock; capability 0x0010 is PIV).
constexpr std::uint32_t kTagUsbSupported = 0x01;
constexpr std::uint32_t kTagSerial = 0x02;
constexpr std::uint32_t kTagUsbEnabled = 0x03;
constexpr std::uint32_t kTagFormFactor = 0x04;
constexpr std::uint32_t kTagConfigLock = 0x0A;
constexpr std::uint8_t kCapabilityPiv = 0x10;
}  // namespace

Response ReferenceCardImpl::select_management() {
  // A YubiKey 5 answers the SELECT with ASCII text that ends in its firmware version, the same version GET
  // VERSION reports in the PIV application; clients parse the "major.minor.patch" out of the text.
  const auto& o = state.options;
  std::string text = "Virtual mgr - FW version " + std::to_string(o.version_major) + "." +
                     std::to_string(o.version_minor) + "." + std::to_string(o.version_patch);
  return ok(Bytes(text.begin(), text.end()));
}

Response ReferenceCardImpl::management(const Command& c) {
  if (c.ins != kInsReadConfig) return status(apdu::sw::ins_not_supported);
  if (c.p1 != 0x00 || c.p2 != 0x00) return status(apdu::sw::wrong_p1p2_6a86);
  Bytes tlvs;
  tlv::append(tlvs, kTagUsbSupported, Bytes{0x00, kCapabilityPiv});
  if (std::uint32_t n = state.options.serial; n != 0)  // a card without serial leaves the tag out
    tlv::append(tlvs, kTagSerial, serial_bytes(n));
  tlv::append(tlvs, kTagUsbEnabled, Bytes{0x00, kCapabilityPiv});
  tlv::append(tlvs, kTagFormFactor, Bytes{kFormFactorUnknown});
  tlv::append(tlvs, kTagConfigLock, Bytes{0x00});
  // The answer is one length byte, then the TLVs.
  Bytes out{static_cast<std::uint8_t>(tlvs.size())};
  out.insert(out.end(), tlvs.begin(), tlvs.end());
  return ok(out);
}

}  // namespace cardctl::sim
