// The offline unblock (docs/architecture.md#offline-unblock) on the reference card, with every case of
// tests/vectors/admin-key.toml: the card's challenge is pinned to the vector's, the helpdesk side computes the
// response, the card accepts it and the PIN is reset.
#include <doctest/doctest.h>
#include <toml++/toml.h>

#include "card_connection.hpp"
#include "cardctl/offline_unblock.hpp"
#include "cardctl/sim_card.hpp"

using namespace cardctl;

TEST_CASE("offline unblock end to end for every admin-key vector") {
  auto doc = toml::parse_file(std::string(CARDCTL_VECTORS_DIR) + "/admin-key.toml");
  for (auto& node : *doc["case"].as_array()) {
    auto& v = *node.as_table();
    std::string card_id = v["card_id"].value_or("");
    CAPTURE(card_id);
    auto alg = *crypto::admin_algorithm_from_name(v["algorithm"].value_or(""));
    MasterKey master(from_hex(v["master_key"].value_or("")));
    auto version = static_cast<std::uint32_t>(v["key_version"].value_or(0));
    bool has_serial = card_id.size() != 32;

    sim::CardOptions o;
    o.serial = has_serial ? static_cast<std::uint32_t>(std::stoul(card_id)) : 0;
    auto card = sim::ReferenceCard::factory(o);
    testing::CardConnection conn(card);
    {  // issuance: diversified admin key (and a CHUID when the card has no serial)
      piv::PivSession s(conn);
      s.authenticate(AdminKey(ByteView(piv::factory::management_key)), crypto::AdminAlgorithm::tdes);
      if (!has_serial) s.put_chuid(from_hex(card_id));
      s.set_management_key(crypto::derive_admin_key(master, alg, card_id, version), alg);
      for (int i = 0; i < 3; ++i) CHECK_THROWS_AS(s.verify_pin(Pin::from_text("000000")), Error);
    }
    Bytes pinned = from_hex(v["challenge"].value_or(""));
    card.set_random([&](std::span<std::uint8_t> out) { std::copy(pinned.begin(), pinned.end(), out.begin()); });
    card.reset();

    piv::PivSession s(conn);
    auto pending = lifecycle::begin_offline_unblock(s);
    CHECK(pending.card_id == card_id);
    CHECK(pending.algorithm == alg);
    CHECK(pending.pin.remaining == 0);
    CHECK(pending.code().code == v["challenge"].value_or(""));
    CHECK(pending.code().check == v["challenge_check"].value_or(""));

    // Helpdesk: parse what the holder read out (with check), compute the response.
    Bytes heard = lifecycle::parse_code(pending.code().display(), card_id, alg, "challenge");
    Bytes response = lifecycle::compute_response(master, alg, card_id, version, heard);
    auto code = codes::format(card_id, response);
    CHECK(code.code == v["response"].value_or(""));
    CHECK(code.check == v["response_check"].value_or(""));

    Bytes typed = lifecycle::parse_code(code.code + " " + code.check, card_id, alg, "response");
    lifecycle::finish_offline_unblock(s, pending, typed, Pin::from_text("864213"));
    s.verify_pin(Pin::from_text("864213"));
  }
}
