// YubiKey PIV extensions (docs/protocol.md#yubikey-extensions): version, serial, set management key, set PIN retries,
// reset, metadata.
#include <tuple>

#include "card_impl.hpp"
#include "cardctl/piv_ids.hpp"
#include "cardctl/tlv.hpp"

namespace cardctl::sim {

Response ReferenceCardImpl::get_version(const Command&) {
  const auto& o = state.options;
  return ok(Bytes{static_cast<std::uint8_t>(o.version_major), static_cast<std::uint8_t>(o.version_minor),
                  static_cast<std::uint8_t>(o.version_patch)});
}

Response ReferenceCardImpl::get_serial(const Command&) {
  std::uint32_t n = state.options.serial;
  if (n == 0) return status(apdu::sw::ins_not_supported);
  return ok(serial_bytes(n));
}

Response ReferenceCardImpl::set_management_key(const Command& c) {
  if (c.p1 != 0xFF || (c.p2 != 0xFF && c.p2 != 0xFE && c.p2 != 0xFD)) return status(apdu::sw::wrong_p1p2_6a86);
  if (!state.session.admin_authenticated) return status(apdu::sw::security_status);
  if (c.data.size() < 3 || c.data[1] != piv::keyref::management) return status(apdu::sw::incorrect_data);
  auto alg = crypto::admin_algorithm_from_piv_id(c.data[0]);
  if (!alg || c.data[0] < 0x03 || c.data[2] != crypto::info(*alg).key_length ||
      c.data.size() != 3 + crypto::info(*alg).key_length)
    return status(apdu::sw::incorrect_data);
  state.admin_algorithm = *alg;
  state.options.management_algorithm = *alg;
  state.admin_key.assign(c.data.begin() + 3, c.data.end());
  state.admin_key_default = *alg == crypto::AdminAlgorithm::tdes &&
                            std::equal(state.admin_key.begin(), state.admin_key.end(),
                                       piv::factory::management_key.begin(), piv::factory::management_key.end());
  state.admin_touch = c.p2 == 0xFF ? 1 : c.p2 == 0xFE ? 2 : 3;
  return ok();
}

Response ReferenceCardImpl::set_pin_retries(const Command& c) {
  if (!state.session.admin_authenticated || !state.session.pin_verified) return status(apdu::sw::security_status);
  if (c.p1 == 0 || c.p2 == 0) return status(apdu::sw::incorrect_data);
  state.pin = {padded(piv::factory::pin), c.p1, c.p1, true};
  state.puk = {padded(piv::factory::puk), c.p2, c.p2, true};
  return ok();
}

Response ReferenceCardImpl::reset_application(const Command&) {
  if (state.pin.left > 0 || state.puk.left > 0) return status(apdu::sw::conditions);
  CardOptions options = state.options;
  options.management_algorithm = crypto::AdminAlgorithm::tdes;
  auto vanish = state.vanish_after;
  // The attestation key and its certificate survive a reset (Yubico, "PIV Attestation OID Arc").
  auto attestation_key = state.keys.extract(piv::keyref::attestation);
  auto attestation_cert = state.objects.extract(piv::object::yubico_attestation_cert);
  state = CardState::factory(options);
  state.vanish_after = vanish;
  if (attestation_key) state.keys.insert(std::move(attestation_key));
  if (attestation_cert) state.objects.insert(std::move(attestation_cert));
  return ok();
}

Response ReferenceCardImpl::get_metadata(const Command& c) {
  // GET METADATA came with firmware 5.3; older YubiKeys do not know the instruction.
  const auto& o = state.options;
  if (std::tuple(o.version_major, o.version_minor) < std::tuple(5, 3)) return status(apdu::sw::ins_not_supported);
  Bytes out;
  auto one = [&](std::uint32_t tag, std::initializer_list<std::uint8_t> v) { tlv::append(out, tag, Bytes(v)); };
  if (c.p2 == piv::keyref::pin || c.p2 == piv::keyref::puk) {
    const Reference& r = c.p2 == piv::keyref::pin ? state.pin : state.puk;
    one(piv::tag::md_algorithm, {0xFF});
    one(piv::tag::md_is_default, {static_cast<std::uint8_t>(r.is_default ? 1 : 0)});
    one(piv::tag::md_retries, {static_cast<std::uint8_t>(r.max), static_cast<std::uint8_t>(r.left)});
    return ok(out);
  }
  if (c.p2 == piv::keyref::management) {
    one(piv::tag::md_algorithm, {crypto::info(state.admin_algorithm).piv_id});
    one(piv::tag::md_policy, {0x00, state.admin_touch});
    one(piv::tag::md_is_default, {static_cast<std::uint8_t>(state.admin_key_default ? 1 : 0)});
    return ok(out);
  }
  if (!is_key_slot(c.p2)) return status(apdu::sw::ref_not_found);
  auto it = state.keys.find(c.p2);
  if (it == state.keys.end()) return status(apdu::sw::ref_not_found);
  const SlotKey& k = it->second;
  one(piv::tag::md_algorithm, {static_cast<std::uint8_t>(k.algorithm)});
  one(piv::tag::md_policy, {effective_pin_policy(c.p2, k.pin_policy), effective_touch_policy(k.touch_policy)});
  one(piv::tag::md_origin, {k.origin});
  tlv::append(out, piv::tag::md_public_key, public_key_tlvs(crypto::KeyPair::from_private_der(k.private_der)));
  return ok(out);
}

}  // namespace cardctl::sim
