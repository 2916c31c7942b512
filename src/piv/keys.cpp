// Key slots: GENERATE ASYMMETRIC KEY PAIR and signatures through GENERAL AUTHENTICATE (SP 800-73-4 Part 2
// §3.3.2, §3.2.4; SP 800-78-4 for algorithm identifiers), YubiKey metadata and attestation.

#include "cardctl/error.hpp"
#include "cardctl/piv.hpp"
#include "cardctl/tlv.hpp"

namespace cardctl::piv {

namespace {
bool is_rsa(crypto::KeyAlgorithm a) {
  return a == crypto::KeyAlgorithm::rsa1024 || a == crypto::KeyAlgorithm::rsa2048;
}

Bytes spki_from_tlvs(crypto::KeyAlgorithm a, ByteView inner) {
  if (is_rsa(a)) {
    auto n = tlv::find(inner, tag::rsa_modulus), e = tlv::find(inner, tag::rsa_exponent);
    if (!n || !e) throw Error(ErrorKind::protocol, "the card returned an RSA public key without modulus or exponent");
    return crypto::spki_from_rsa(*n, *e);
  }
  auto point = tlv::find(inner, tag::ec_point);
  if (!point) throw Error(ErrorKind::protocol, "the card returned an EC public key without a point");
  return crypto::spki_from_ec_point(a, *point);
}

// ECDSA input: the digest left-padded with zeros to the field size (a YubiKey wants 48 bytes for a P-384 key,
// Yubico PIV "Authenticate: sign"). Leading zeros leave the integer, and so a signature over SHA-256, unchanged
// (SEC 1 §4.1.3 step 5).
Bytes ec_input(crypto::KeyAlgorithm a, ByteView digest) {
  const std::size_t field = a == crypto::KeyAlgorithm::eccp384 ? 48 : 32;
  Bytes out(field > digest.size() ? field - digest.size() : 0, 0x00);
  out.insert(out.end(), digest.begin(), digest.end());
  return out;
}
}  // namespace

Bytes PivSession::generate_key(std::uint8_t slot, crypto::KeyAlgorithm a, PinPolicy pin, TouchPolicy touch) {
  Bytes body = tlv::encode(tag::gen_algorithm, Bytes{static_cast<std::uint8_t>(a)});
  if (pin != PinPolicy::default_policy) tlv::append(body, tag::pin_policy, Bytes{static_cast<std::uint8_t>(pin)});
  if (touch != TouchPolicy::default_policy)
    tlv::append(body, tag::touch_policy, Bytes{static_cast<std::uint8_t>(touch)});
  Bytes reply = channel_.transmit_ok(
      {0x00, apdu::ins::generate_key, 0x00, slot, tlv::encode_secure(tag::gen_template, body), 256},
      std::string("generating a ") + crypto::name(a) + " key in slot " + to_hex(Bytes{slot}));
  return spki_from_tlvs(a, tlv::expect(reply, tag::public_key));
}

std::optional<SlotInfo> PivSession::slot_info(std::uint8_t slot) {
  auto md = metadata(slot);
  if (!md) return std::nullopt;
  SlotInfo info;
  info.slot = slot;
  auto alg = tlv::find(*md, tag::md_algorithm);
  if (!alg || alg->size() != 1) return std::nullopt;
  auto ka = crypto::key_algorithm_from_piv_id((*alg)[0]);
  if (!ka) return std::nullopt;
  info.algorithm = *ka;
  if (auto p = tlv::find(*md, tag::md_policy); p && p->size() == 2) {
    info.pin_policy = static_cast<PinPolicy>((*p)[0]);
    info.touch_policy = static_cast<TouchPolicy>((*p)[1]);
  }
  if (auto o = tlv::find(*md, tag::md_origin); o && o->size() == 1) info.generated_on_card = (*o)[0] == 1;
  if (auto pk = tlv::find(*md, tag::md_public_key)) info.public_key_spki = spki_from_tlvs(*ka, *pk);
  return info;
}

Bytes PivSession::general_authenticate_sign(std::uint8_t slot, crypto::KeyAlgorithm a, ByteView input) {
  Bytes body = tlv::encode(tag::response, {});
  tlv::append(body, tag::challenge, input);
  Bytes reply = general_authenticate(static_cast<std::uint8_t>(a), slot, body,
                                     "signing with the key in slot " + to_hex(Bytes{slot}));
  ByteView result = tlv::expect(tlv::expect(reply, tag::dynamic_auth), tag::response);
  return Bytes(result.begin(), result.end());
}

SecureBytes PivSession::ecdh(std::uint8_t slot, ByteView peer_point) {
  // SP 800-78-4 Table 6-2: 11 for P-256 (65-byte point), 14 for P-384 (97 bytes); both uncompressed (04 X Y).
  std::uint8_t algorithm = 0;
  if (peer_point.size() == 65 && peer_point[0] == 0x04) algorithm = static_cast<std::uint8_t>(crypto::KeyAlgorithm::eccp256);
  if (peer_point.size() == 97 && peer_point[0] == 0x04) algorithm = static_cast<std::uint8_t>(crypto::KeyAlgorithm::eccp384);
  if (algorithm == 0)
    throw Error(ErrorKind::usage, "an ECDH peer point is an uncompressed P-256 (65 bytes) or P-384 (97 bytes) point");
  const std::string what = "key agreement with the key in slot " + to_hex(Bytes{slot});
  Bytes body = tlv::encode(tag::response, {});
  tlv::append(body, tag::exponentiation, peer_point);
  apdu::Command c{0x00, apdu::ins::general_authenticate, algorithm, slot, tlv::encode_secure(tag::dynamic_auth, body),
                  256};
  c.secret_response = true;  // the shared secret: masked in the trace
  apdu::Response r = channel_.transmit(c);
  SecureBytes reply(r.data.begin(), r.data.end());
  secure_wipe(r.data.data(), r.data.size());
  if (r.sw == apdu::sw::security_status)
    throw Error(ErrorKind::security_status, what + ": the PIN must be verified first",
                "verify the card's PIN in the same session before the key agreement")
        .with_sw(r.sw);
  apdu::check(r, what);
  ByteView secret = tlv::expect(tlv::expect(reply, tag::dynamic_auth), tag::response);
  const std::size_t field = algorithm == static_cast<std::uint8_t>(crypto::KeyAlgorithm::eccp256) ? 32 : 48;
  if (secret.size() != field)
    throw Error(ErrorKind::protocol, what + ": the card returned a " + std::to_string(secret.size()) +
                                         "-byte shared secret, expected " + std::to_string(field));
  return SecureBytes(secret.begin(), secret.end());
}

Bytes PivSession::sign_sha256(std::uint8_t slot, crypto::KeyAlgorithm a, ByteView data) {
  Bytes digest = crypto::sha256(data);
  if (is_rsa(a)) {
    const std::size_t modulus_bytes = a == crypto::KeyAlgorithm::rsa2048 ? 256 : 128;
    return general_authenticate_sign(slot, a, crypto::pkcs1_sha256_block(digest, modulus_bytes));
  }
  return general_authenticate_sign(slot, a, ec_input(a, digest));
}

Bytes PivSession::attest(std::uint8_t slot) {
  return channel_.transmit_ok({0x00, apdu::ins::attest, slot, 0x00, {}, 256},
                              "attesting the key in slot " + to_hex(Bytes{slot}));
}

}  // namespace cardctl::piv
