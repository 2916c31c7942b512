// cardctl status on the reference card: the retired slots are read only when the key history object counts keys
// in them, or when asked (--all-slots).
#include <doctest/doctest.h>

#include "card_connection.hpp"
#include "cardctl/card_status.hpp"
#include "cardctl/sim_card.hpp"

using namespace cardctl;

namespace {
bool shows(const lifecycle::CardStatus& st, std::uint8_t slot) {
  for (const auto& s : st.slots)
    if (s.slot == slot) return true;
  return false;
}
}  // namespace

TEST_CASE("a key in a retired slot is shown when the key history counts it, or with all_retired_slots") {
  sim::CardOptions o;
  o.serial = 4242;
  auto card = sim::ReferenceCard::factory(o);
  testing::CardConnection conn(card);
  piv::PivSession s(conn);

  auto fresh = lifecycle::read_card_status(s);
  CHECK_FALSE(fresh.retired_slots_read);
  CHECK(fresh.slots.empty());

  s.authenticate(AdminKey(ByteView(piv::factory::management_key)), crypto::AdminAlgorithm::tdes);
  s.generate_key(0x82, crypto::KeyAlgorithm::eccp256);
  // Put there by a tool that keeps no key history: not read by default, shown when asked.
  auto plain = lifecycle::read_card_status(s);
  CHECK_FALSE(plain.retired_slots_read);
  CHECK_FALSE(shows(plain, 0x82));
  auto all = lifecycle::read_card_status(s, true);
  CHECK(all.retired_slots_read);
  CHECK(shows(all, 0x82));

  // A key history that counts one retired key (as cardctl issue writes it): read by default.
  s.put_key_history({1, 0});
  auto counted = lifecycle::read_card_status(s);
  CHECK(counted.retired_slots_read);
  CHECK(shows(counted, 0x82));

  // One that counts none is the same as none.
  s.put_key_history({0, 0});
  CHECK_FALSE(shows(lifecycle::read_card_status(s), 0x82));
}
