// SELECT, GET DATA and PUT DATA (SP 800-73-4 Part 2 §3.1.1, §3.1.2, §3.3.1; docs/protocol.md).
#include <algorithm>

#include "card_impl.hpp"
#include "cardctl/piv_ids.hpp"
#include "cardctl/tlv.hpp"

namespace cardctl::sim {

namespace {
bool pin_protected(std::uint32_t id) {
  using namespace piv::object;
  return id == fingerprints || id == facial_image || id == printed_information || id == iris_images;
}

std::uint32_t object_id(ByteView v) {
  std::uint32_t id = 0;
  for (auto b : v) id = id << 8 | b;
  return id;
}

bool valid_object_id(ByteView v) {
  if (v.size() == 1) return v[0] == 0x7E;
  if (v.size() == 2) return v[0] == 0x7F && v[1] == 0x61;
  return v.size() == 3 && v[0] == 0x5F;
}
}  // namespace

Response ReferenceCardImpl::select(const Command& c) {
  if (c.p1 != 0x04) return status(apdu::sw::wrong_p1p2_6a86);
  ByteView aid(c.data);
  auto& s = state.session;
  bool piv_aid = aid.size() >= 5 && aid.size() <= piv::kPivAid.size() &&
                 std::equal(aid.begin(), aid.end(), piv::kPivAid.begin());
  if (piv_aid) {
    // Re-selecting PIV while it is selected keeps the session (YubiKey 5); otherwise a fresh session.
    if (s.selected != Selected::piv) reset();
    s.selected = Selected::piv;
    Bytes pix(piv::kPivAid.begin() + 5, piv::kPivAid.end());
    Bytes body = tlv::encode(piv::tag::aid, pix);
    tlv::append(body, piv::tag::coexistent_authority, tlv::encode(piv::tag::aid, ByteView(piv::kPivAid).first(5)));
    return ok(tlv::encode(piv::tag::app_property_template, body));
  }
  if (std::equal(aid.begin(), aid.end(), piv::kYubicoMgmtAid.begin(), piv::kYubicoMgmtAid.end())) {
    reset();  // another application: PIN, 9B and any challenge are gone
    s.selected = Selected::yubico_mgmt;
    return select_management();
  }
  return status(apdu::sw::not_found);  // selection unchanged
}

Response ReferenceCardImpl::get_data(const Command& c) {
  if (c.p1 != 0x3F || c.p2 != 0xFF) return status(apdu::sw::wrong_p1p2_6a86);
  ByteView id_bytes = tlv::expect(c.data, piv::tag::object_id);
  if (!valid_object_id(id_bytes)) return status(apdu::sw::not_found);
  std::uint32_t id = object_id(id_bytes);
  auto it = state.objects.find(id);
  if (it == state.objects.end()) return status(apdu::sw::not_found);
  if (pin_protected(id) && !state.session.pin_verified) return status(apdu::sw::security_status);
  if (id == piv::object::discovery || id == piv::object::biometric_group_template) return ok(it->second);
  return ok(tlv::encode(piv::tag::data, it->second));
}

Response ReferenceCardImpl::put_data(const Command& c) {
  if (c.p1 != 0x3F || c.p2 != 0xFF) return status(apdu::sw::wrong_p1p2_6a86);
  if (!state.session.admin_authenticated) return status(apdu::sw::security_status);
  std::size_t used = 0;
  auto id_item = tlv::parse_one(c.data, used);
  if (id_item.tag != piv::tag::object_id || !valid_object_id(id_item.value)) return status(apdu::sw::incorrect_data);
  std::uint32_t id = object_id(id_item.value);
  ByteView rest = ByteView(c.data).subspan(used);
  std::size_t used2 = 0;
  auto body = tlv::parse_one(rest, used2);
  if (used2 != rest.size()) return status(apdu::sw::incorrect_data);
  if (id == piv::object::discovery || id == piv::object::biometric_group_template) {
    if (body.tag != id) return status(apdu::sw::incorrect_data);
    state.objects[id] = Bytes(body.raw.begin(), body.raw.end());
    return ok();
  }
  if (body.tag != piv::tag::data) return status(apdu::sw::incorrect_data);
  if (body.value.empty()) {
    state.objects.erase(id);
  } else {
    if (body.value.size() > 3052) return status(apdu::sw::no_space);
    state.objects[id] = Bytes(body.value.begin(), body.value.end());
  }
  return ok();
}

}  // namespace cardctl::sim
