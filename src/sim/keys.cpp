// GENERATE ASYMMETRIC KEY PAIR and GENERAL AUTHENTICATE with key slots (SP 800-73-4 Part 2 §3.2.4, §3.3.2;
// docs/protocol.md#asymmetric-keys).
#include "card_impl.hpp"
#include "cardctl/piv_ids.hpp"
#include "cardctl/tlv.hpp"

namespace cardctl::sim {

bool is_key_slot(std::uint8_t slot) {
  using namespace piv::keyref;
  return slot == authentication || slot == signature || slot == key_management || slot == card_authentication ||
         (slot >= retired_first && slot <= retired_last);
}

// On the wire: piv::effective_pin_policy.
std::uint8_t effective_pin_policy(std::uint8_t slot, std::uint8_t policy) {
  return static_cast<std::uint8_t>(piv::effective_pin_policy(slot, static_cast<piv::PinPolicy>(policy)));
}

std::uint8_t effective_touch_policy(std::uint8_t policy) {
  return policy == 0 ? static_cast<std::uint8_t>(piv::TouchPolicy::never) : policy;
}

Bytes public_key_tlvs(const crypto::KeyPair& key) {
  Bytes out;
  if (key.algorithm() == crypto::KeyAlgorithm::rsa1024 || key.algorithm() == crypto::KeyAlgorithm::rsa2048) {
    tlv::append(out, piv::tag::rsa_modulus, key.rsa_modulus());
    tlv::append(out, piv::tag::rsa_exponent, key.rsa_exponent());
  } else {
    tlv::append(out, piv::tag::ec_point, key.ec_point());
  }
  return out;
}

Response ReferenceCardImpl::generate(const Command& c) {
  if (c.p1 != 0x00) return status(apdu::sw::wrong_p1p2_6a86);
  if (!is_key_slot(c.p2)) return status(apdu::sw::wrong_p1p2);
  if (!state.session.admin_authenticated) return status(apdu::sw::security_status);
  auto items = tlv::parse(tlv::expect(c.data, piv::tag::gen_template));
  std::optional<crypto::KeyAlgorithm> alg;
  std::uint8_t pin_policy = 0, touch_policy = 0;
  for (const auto& i : items) {
    if (i.value.size() != 1) return status(apdu::sw::incorrect_data);
    if (i.tag == piv::tag::gen_algorithm) alg = crypto::key_algorithm_from_piv_id(i.value[0]);
    if (i.tag == piv::tag::pin_policy) pin_policy = i.value[0];
    if (i.tag == piv::tag::touch_policy) touch_policy = i.value[0];
  }
  if (!alg || *alg == crypto::KeyAlgorithm::rsa1024 || pin_policy > 3 || touch_policy > 3)
    return status(apdu::sw::incorrect_data);
  auto key = crypto::KeyPair::generate(*alg);
  state.keys[c.p2] = SlotKey{*alg, pin_policy, touch_policy, kOriginGenerated, key.private_der()};
  // The 7F49 length stays in short form for EC (libykpiv parses it positionally).
  return ok(tlv::encode(piv::tag::public_key, public_key_tlvs(key)));
}

Response ReferenceCardImpl::asymmetric_authenticate(const Command& c) {
  auto it = state.keys.find(c.p2);
  if (!is_key_slot(c.p2)) return status(apdu::sw::wrong_p1p2_6a86);
  if (it == state.keys.end()) return status(apdu::sw::ref_not_found);
  const SlotKey& slot = it->second;
  if (c.p1 != static_cast<std::uint8_t>(slot.algorithm)) return status(apdu::sw::wrong_p1p2_6a86);
  auto& s = state.session;
  std::uint8_t policy = effective_pin_policy(c.p2, slot.pin_policy);
  if (policy != static_cast<std::uint8_t>(piv::PinPolicy::never) && !s.pin_verified)
    return status(apdu::sw::security_status);
  auto items = tlv::parse(tlv::expect(c.data, piv::tag::dynamic_auth));
  std::optional<ByteView> challenge, exponentiation;
  bool response_requested = false;
  for (const auto& i : items) {
    if (i.tag == piv::tag::challenge) challenge = i.value;
    if (i.tag == piv::tag::exponentiation) exponentiation = i.value;
    if (i.tag == piv::tag::response && i.value.empty()) response_requested = true;
  }
  if (!response_requested) return status(apdu::sw::incorrect_data);
  auto key = crypto::KeyPair::from_private_der(slot.private_der);
  Bytes result;
  bool rsa = slot.algorithm == crypto::KeyAlgorithm::rsa2048 || slot.algorithm == crypto::KeyAlgorithm::rsa1024;
  if (challenge) {
    if (rsa) {
      if (challenge->size() != key.rsa_modulus().size()) return status(apdu::sw::incorrect_data);
      result = key.rsa_raw_private(*challenge);
    } else {
      std::size_t field = slot.algorithm == crypto::KeyAlgorithm::eccp256 ? 32 : 48;
      if (challenge->empty() || challenge->size() > field) return status(apdu::sw::incorrect_data);
      result = key.ecdsa_sign_digest(*challenge);
    }
  } else if (exponentiation && !rsa) {
    auto secret = key.ecdh(*exponentiation);
    result.assign(secret.begin(), secret.end());
  } else {
    return status(apdu::sw::incorrect_data);
  }
  if (policy == static_cast<std::uint8_t>(piv::PinPolicy::always)) s.pin_verified = false;
  return ok(tlv::encode(piv::tag::dynamic_auth, tlv::encode(piv::tag::response, result)));
}

}  // namespace cardctl::sim
