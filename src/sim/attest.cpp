// ATTEST (YubiKey extension, INS F9) and the card's attestation key: a certificate for a key generated on the
// card, signed by the attestation key in slot F9 under the certificate in object 5FFF01. Yubico documents the
// command in "PIV attestation" and the certificate in "PIV Attestation OID Arc"; docs/protocol.md#attest.
#include <chrono>
#include <vector>

#include "card_impl.hpp"
#include "cardctl/piv_ids.hpp"
#include "cardctl/tlv.hpp"
#include "cardctl/x509.hpp"

namespace cardctl::sim {

namespace {
// Yubico's PIV attestation extensions (arc 1.3.6.1.4.1.41482.3, "PIV Attestation OID Arc"). Their extnValue
// holds the bytes as they are, except the serial number, which is a DER INTEGER.
constexpr const char* kOidFirmwareVersion = "1.3.6.1.4.1.41482.3.3";  // 3 bytes: major, minor, patch
constexpr const char* kOidSerialNumber = "1.3.6.1.4.1.41482.3.7";    // INTEGER
constexpr const char* kOidPolicy = "1.3.6.1.4.1.41482.3.8";          // 2 bytes: PIN policy, touch policy
constexpr const char* kOidFormFactor = "1.3.6.1.4.1.41482.3.9";      // 1 byte, as the management application says
// A YubiKey's F9 certificate is issued by Yubico's PIV CA; the reference card has no CA above it, so its own is
// self-signed and names the card as what it is.
constexpr const char* kAttestationSubject = "CN=cardctl reference card PIV Attestation";

// A non-negative number as a DER INTEGER (X.690 §8.3): the fewest big-endian bytes, with a 00 in front when the
// top bit would make it negative.
Bytes der_integer(std::uint32_t n) {
  Bytes value = serial_bytes(n);
  while (value.size() > 1 && value[0] == 0x00 && (value[1] & 0x80) == 0) value.erase(value.begin());
  if (value[0] & 0x80) value.insert(value.begin(), 0x00);
  return tlv::encode(0x02, value);
}
}  // namespace

void CardState::ensure_attestation() {
  if (keys.count(piv::keyref::attestation)) return;
  // P-256 rather than a YubiKey's RSA-2048: the attestation is then ECDSA with SHA-256, which Yubico's OID arc
  // document allows for an EC attestation key, and creating a card stays instant.
  auto key = crypto::KeyPair::generate(crypto::KeyAlgorithm::eccp256);
  SecureBytes private_der = key.private_der();
  Bytes certificate = crypto::self_signed_ca_certificate(private_der, kAttestationSubject,
                                                         std::chrono::system_clock::now());
  using piv::PinPolicy, piv::TouchPolicy;
  keys[piv::keyref::attestation] =
      SlotKey{crypto::KeyAlgorithm::eccp256, static_cast<std::uint8_t>(PinPolicy::never),
              static_cast<std::uint8_t>(TouchPolicy::never), kOriginGenerated, std::move(private_der)};
  // The object holds the certificate as any certificate object does (SP 800-73-4 Part 1, Appendix A: 70 the
  // certificate, 71 CertInfo 00 = not compressed, FE error detection code).
  Bytes content = tlv::encode(piv::tag::cert, certificate);
  tlv::append(content, piv::tag::cert_info, Bytes{0x00});
  tlv::append(content, piv::tag::error_detection, {});
  objects[piv::object::yubico_attestation_cert] = std::move(content);
}

Response ReferenceCardImpl::attest(const Command& c) {
  // P1 is the slot whose key is attested, P2 00; no PIN and no management key are needed.
  if (!is_key_slot(c.p1) || c.p2 != 0x00) return status(apdu::sw::wrong_p1p2_6a86);
  auto it = state.keys.find(c.p1);
  // An empty slot and a key that was imported get the same answer from a YubiKey: 6A80.
  if (it == state.keys.end() || it->second.origin != kOriginGenerated) return status(apdu::sw::incorrect_data);
  auto signer = state.keys.find(piv::keyref::attestation);
  auto object = state.objects.find(piv::object::yubico_attestation_cert);
  std::optional<ByteView> issuer;
  if (object != state.objects.end()) issuer = tlv::find(object->second, piv::tag::cert);
  if (signer == state.keys.end() || !issuer || issuer->empty()) return status(apdu::sw::ref_not_found);

  const SlotKey& slot = it->second;
  const CardOptions& o = state.options;
  std::vector<crypto::RawExtension> extensions{
      {kOidFirmwareVersion,
       Bytes{static_cast<std::uint8_t>(o.version_major), static_cast<std::uint8_t>(o.version_minor),
             static_cast<std::uint8_t>(o.version_patch)}}};
  if (o.serial != 0) extensions.push_back({kOidSerialNumber, der_integer(o.serial)});  // no serial, no extension
  extensions.push_back(
      {kOidPolicy, Bytes{effective_pin_policy(c.p1, slot.pin_policy), effective_touch_policy(slot.touch_policy)}});
  extensions.push_back({kOidFormFactor, Bytes{kFormFactorUnknown}});
  Bytes spki = crypto::KeyPair::from_private_der(slot.private_der).public_spki_der();
  return ok(crypto::issue_under(spki, "CN=YubiKey PIV Attestation " + to_hex(Bytes{c.p1}), extensions, *issuer,
                                signer->second.private_der));
}

}  // namespace cardctl::sim
