#include "cardctl/card_status.hpp"

#include "cardctl/piv_ids.hpp"
#include "cardctl/tlv.hpp"

namespace cardctl::lifecycle {

namespace {

// Slots in the order SP 800-73-4 Part 1 Table 4b lists them: the four primary keys, then the retired ones.
std::vector<std::uint8_t> status_slots() {
  std::vector<std::uint8_t> slots = {piv::keyref::authentication, piv::keyref::signature,
                                     piv::keyref::key_management, piv::keyref::card_authentication};
  for (int s = piv::keyref::retired_first; s <= piv::keyref::retired_last; ++s) {
    slots.push_back(static_cast<std::uint8_t>(s));
  }
  return slots;
}

}  // namespace

CardStatus read_card_status(piv::PivSession& session, bool all_retired_slots) {
  CardStatus st;
  st.reader = session.connection().reader();
  st.serial = session.serial();
  if (auto v = session.version()) st.version = v->to_string();
  st.pin = session.pin_retries();
  st.puk = session.puk_retries();
  st.management = session.management_key_info();
  auto chuid = session.get_object(piv::object::chuid);
  if (chuid) {
    if (auto guid = tlv::find(*chuid, piv::tag::chuid_guid)) st.chuid_guid = to_hex(*guid);
  }
  st.card_id = piv::PivSession::card_id_of(st.serial, chuid);
  // A card with GET METADATA says which retired slots hold a key; a certificate there without its key is of no
  // use, so those slots' certificates are read only where a key is. The key history object (SP 800-73-4 Part 1,
  // 3.3.2) counts the retired keys: where it is missing or counts none, the 20 retired slots are not read at all
  // unless all_retired_slots asks for them (a key put there by a tool that keeps no key history).
  const bool has_metadata = st.management.is_default.has_value();
  bool read_retired = !has_metadata || all_retired_slots;
  if (!read_retired)
    if (auto history = session.key_history()) read_retired = history->on_card + history->off_card > 0;
  st.retired_slots_read = read_retired;
  for (std::uint8_t slot : status_slots()) {
    const bool retired = slot >= piv::keyref::retired_first && slot <= piv::keyref::retired_last;
    if (retired && !read_retired) continue;
    SlotStatus s{slot, session.slot_info(slot), std::nullopt};
    if (retired && has_metadata && !s.key) continue;
    if (auto der = session.get_certificate(slot)) s.certificate = crypto::summarize_certificate(*der);
    if (s.key || s.certificate) st.slots.push_back(std::move(s));
  }
  return st;
}

}  // namespace cardctl::lifecycle
