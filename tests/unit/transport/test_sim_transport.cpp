// The sim: transport: the state file is the card, shared by every connection and process that opens it.
#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "cardctl/apdu.hpp"
#include "cardctl/crypto.hpp"
#include "cardctl/error.hpp"
#include "cardctl/piv_ids.hpp"
#include "cardctl/sim_card.hpp"
#include "cardctl/tlv.hpp"
#include "cardctl/sim_transport.hpp"

using namespace cardctl;
using transport::Disposition;
using transport::ShareMode;

namespace {

struct TempCard {
  std::filesystem::path dir;
  std::string path;
  TempCard() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "cardctl-simtx-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    dir = tmpl;
    path = (dir / "card.sim").string();
    sim::ReferenceCard::factory(sim::CardOptions{}).save(path);
  }
  ~TempCard() { std::filesystem::remove_all(dir); }
  std::string spec() const { return "sim:" + path; }
};

const transport::SimOptions kNoWait{std::chrono::milliseconds(0)};

SecureBytes select_piv() {
  apdu::Command c;
  c.ins = apdu::ins::select;
  c.p1 = 0x04;  // select by DF name (ISO 7816-4 §11.1.1)
  c.data.assign(piv::kPivAid.begin(), piv::kPivAid.begin() + 5);
  return apdu::encode(c);
}

SecureBytes verify_pin(std::string_view pin) {
  apdu::Command c;
  c.ins = apdu::ins::verify;
  c.p2 = piv::keyref::pin;
  c.data.assign(pin.begin(), pin.end());
  c.data.resize(8, 0xFF);  // SP 800-73-4 Part 2 §3.2.1: PIN padded with FF to 8 bytes
  return apdu::encode(c);
}

SecureBytes pin_status() {
  apdu::Command c;
  c.ins = apdu::ins::verify;
  c.p2 = piv::keyref::pin;
  return apdu::encode(c);
}

const std::uint8_t kTdes = crypto::info(crypto::AdminAlgorithm::tdes).piv_id;

// GENERAL AUTHENTICATE 9B, 7C { 81 00 }: the card answers 7C { 81 <challenge> }
// (docs/protocol.md#admin-key-authentication).
SecureBytes request_challenge() {
  apdu::Command c;
  c.ins = apdu::ins::general_authenticate;
  c.p1 = kTdes;
  c.p2 = piv::keyref::management;
  c.data = {static_cast<std::uint8_t>(piv::tag::dynamic_auth), 0x02, static_cast<std::uint8_t>(piv::tag::challenge),
            0x00};
  c.le = 256;
  return apdu::encode(c);
}

// GENERAL AUTHENTICATE 9B, 7C { 82 E(K, challenge) } (docs/protocol.md#admin-key-authentication).
SecureBytes send_response(ByteView challenge) {
  const Bytes key(piv::factory::management_key.begin(), piv::factory::management_key.end());
  const Bytes response = crypto::encrypt_block(crypto::AdminAlgorithm::tdes, key, challenge);
  apdu::Command c;
  c.ins = apdu::ins::general_authenticate;
  c.p1 = kTdes;
  c.p2 = piv::keyref::management;
  c.data = tlv::encode_secure(piv::tag::dynamic_auth, tlv::encode(piv::tag::response, response));
  return apdu::encode(c);
}

bool selected_ok(const apdu::Response& r) { return r.ok() || r.sw1() == (apdu::sw::bytes_remaining >> 8); }

Bytes challenge_of(const apdu::Response& r) {
  REQUIRE(r.ok());
  REQUIRE(r.data.size() == 12);  // 7C 0A 81 08 <8 bytes>
  return Bytes(r.data.begin() + 4, r.data.end());
}

}  // namespace

TEST_CASE("a missing state file is not_found, names the path and says how to create one") {
  TempCard card;
  const std::string missing = (card.dir / "nope.sim").string();
  try {
    transport::connect_sim("sim:" + missing, ShareMode::shared);
    FAIL("connected to a missing card");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::not_found);
    CHECK(std::string(e.what()).find(missing) != std::string::npos);
    CHECK(e.hint() == "create one with: cardsim create " + missing);
  }
}

TEST_CASE("the reader is named sim:PATH and reports the card's ATR") {
  TempCard card;
  auto c = transport::connect_sim(card.spec(), ShareMode::shared);
  CHECK(c->reader() == card.spec());
  CHECK(c->atr() == sim::ReferenceCard::load(card.path).atr());
  CHECK_FALSE(c->atr().empty());
}

TEST_CASE("card state persists across connections") {
  TempCard card;
  {
    auto c = transport::connect_sim(card.spec(), ShareMode::shared);
    CHECK(selected_ok(c->transmit(select_piv())));
    CHECK(c->transmit(verify_pin("000000")).sw == (apdu::sw::verify_fail | 2));
    c->disconnect(Disposition::reset);
  }
  auto c = transport::connect_sim(card.spec(), ShareMode::shared);
  CHECK(selected_ok(c->transmit(select_piv())));
  CHECK(c->transmit(pin_status()).sw == (apdu::sw::verify_fail | 2));
}

TEST_CASE("a pending challenge survives disconnect(leave) but not disconnect(reset)") {
  TempCard card;
  SUBCASE("leave: the next connection answers it without a new SELECT") {
    Bytes challenge;
    {
      auto c = transport::connect_sim(card.spec(), ShareMode::exclusive);
      CHECK(selected_ok(c->transmit(select_piv())));
      challenge = challenge_of(c->transmit(request_challenge()));
      c->disconnect(Disposition::leave);
    }
    auto c = transport::connect_sim(card.spec(), ShareMode::exclusive);
    CHECK(c->transmit(send_response(challenge)).sw == apdu::sw::ok);
  }
  SUBCASE("reset: the challenge is gone") {
    Bytes challenge;
    {
      auto c = transport::connect_sim(card.spec(), ShareMode::exclusive);
      CHECK(selected_ok(c->transmit(select_piv())));
      challenge = challenge_of(c->transmit(request_challenge()));
      c->disconnect(Disposition::reset);
    }
    auto c = transport::connect_sim(card.spec(), ShareMode::exclusive);
    CHECK(selected_ok(c->transmit(select_piv())));
    CHECK(c->transmit(send_response(challenge)).sw != apdu::sw::ok);
  }
  SUBCASE("end_transaction(reset) also resets the card") {
    auto c = transport::connect_sim(card.spec(), ShareMode::shared);
    c->begin_transaction();
    CHECK(selected_ok(c->transmit(select_piv())));
    const Bytes challenge = challenge_of(c->transmit(request_challenge()));
    c->end_transaction(Disposition::reset);
    CHECK(selected_ok(c->transmit(select_piv())));
    CHECK(c->transmit(send_response(challenge)).sw != apdu::sw::ok);
  }
}

TEST_CASE("an exclusive connection keeps other connections out until it disconnects") {
  TempCard card;
  auto holder = transport::connect_sim(card.spec(), ShareMode::exclusive);
  CHECK_THROWS_WITH_AS(transport::connect_sim(card.spec(), ShareMode::exclusive, kNoWait),
                       ("the card " + card.spec() + " is in use by another process").c_str(), Error);
  auto other = transport::connect_sim(card.spec(), ShareMode::shared, kNoWait);
  try {
    other->transmit(select_piv());
    FAIL("an APDU went through while another connection held the card");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::conflict);
  }
  holder->disconnect(Disposition::leave);
  CHECK(selected_ok(other->transmit(select_piv())));
}

TEST_CASE("a transaction keeps other connections out until it ends") {
  TempCard card;
  auto a = transport::connect_sim(card.spec(), ShareMode::shared, kNoWait);
  auto b = transport::connect_sim(card.spec(), ShareMode::shared, kNoWait);
  {
    transport::Transaction tx(*a);
    CHECK(selected_ok(a->transmit(select_piv())));
    CHECK_THROWS_AS(b->transmit(select_piv()), Error);
    CHECK_THROWS_AS(b->begin_transaction(), Error);
  }
  CHECK(selected_ok(b->transmit(select_piv())));
}

TEST_CASE("a card that vanishes is card_removed, naming the reader, also on the next connect") {
  TempCard card;
  {
    auto state = sim::ReferenceCard::load(card.path);
    state.vanish_after(1);
    state.save(card.path);
  }
  auto c = transport::connect_sim(card.spec(), ShareMode::shared);
  bool removed = false;
  for (int i = 0; i < 3 && !removed; ++i) {
    try {
      c->transmit(select_piv());
    } catch (const Error& e) {
      removed = true;
      CHECK(e.kind() == ErrorKind::card_removed);
      CHECK(std::string(e.what()) == "card removed from reader " + card.spec());
    }
  }
  CHECK(removed);
  CHECK_THROWS_WITH_AS(transport::connect_sim(card.spec(), ShareMode::shared),
                       ("card removed from reader " + card.spec()).c_str(), Error);
}

TEST_CASE("a state file whose retry counter is out of range is refused as damaged") {
  TempCard card;
  std::string text;
  {
    std::ifstream in(card.path);
    text.assign(std::istreambuf_iterator<char>(in), {});
  }
  auto at = text.find("left = 3");
  REQUIRE(at != std::string::npos);
  text.replace(at, 8, "left = 9");  // 9 tries left of 3: an edited file
  {
    std::ofstream out(card.path, std::ios::trunc);
    out << text;
  }
  try {
    sim::ReferenceCard::load(card.path);
    FAIL("loaded a card with 9 of 3 tries left");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::io);
    CHECK(std::string(e.what()).find("retry counter out of range (9 of 3)") != std::string::npos);
  }
}
