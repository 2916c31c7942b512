#include "cardctl/so_token.hpp"

#include <algorithm>
#include <cctype>

#include "cardctl/apdu.hpp"
#include "cardctl/error.hpp"
#include "cardctl/tlv.hpp"

namespace cardctl::lifecycle {

namespace {

Error not_factory(const std::string& card_id) {
  return Error(ErrorKind::conflict,
               "card " + card_id + " is not in its factory state: its admin key is not the factory key (it is an SO "
               "token already, or it was issued by another system)",
               "an SO token is made from a card in its factory state: use a new card, or reset this one first "
               "(block its PIN, then ykman piv reset)");
}

// Why a card in the inventory is not made an SO token; nullopt when it may be (unknown, or retired and reset).
std::optional<Error> in_inventory(Site& site, const std::string& card_id) {
  auto record = site.inventory.find_card(card_id);
  if (!record || record->state == store::CardState::retired) return std::nullopt;
  return Error(ErrorKind::conflict,
               "card " + card_id + " is in the inventory (holder " + record->holder_id + ", " +
                   store::to_string(record->state) + "): a holder's card is not made an SO token",
               "use a card in its factory state; a card no longer needed is wiped with cardctl retire " + card_id);
}

}  // namespace

policy::PinRules so_pin_rules() {
  policy::PinRules rules;
  rules.min_length = 6;
  rules.max_length = 8;
  rules.digits_only = false;
  rules.reject_trivial = true;
  return rules;
}

SoTokenSurvey survey_so_token(piv::PivSession& session, Site* site) {
  SoTokenSurvey s;
  s.version = session.version();
  auto admin = session.management_key_info();
  s.admin_key_default = admin.is_default;
  s.factory_algorithm = admin.algorithm;
  std::string existing_id;  // the id the card has now: its serial, or the GUID of its CHUID
  if (auto serial = session.serial()) {
    s.has_serial = true;
    s.card_id = existing_id = std::to_string(*serial);
  } else {
    if (auto chuid = session.get_object(piv::object::chuid))
      if (auto guid = tlv::find(*chuid, piv::tag::chuid_guid); guid && guid->size() == 16) existing_id = to_hex(*guid);
    // A card without serial is known by the GUID of the CHUID written to it, a fresh one
    // (docs/architecture.md#card-id).
    s.guid = crypto::random_bytes(16);
    s.card_id = to_hex(s.guid);
  }
  if (site != nullptr && !existing_id.empty())
    if (auto refused = in_inventory(*site, existing_id)) throw *refused;
  if (s.admin_key_default == false) throw not_factory(existing_id.empty() ? std::string("in the reader") : existing_id);
  // AES management keys from firmware 5.4 (the reference card reports 5.4.3 unless told otherwise).
  s.so_algorithm = s.version && s.version->at_least(5, 4, 0) ? crypto::AdminAlgorithm::aes256
                                                              : crypto::AdminAlgorithm::tdes;
  s.pin = session.pin_retries();
  s.puk = session.puk_retries();
  return s;
}

AdminKey generate_so_key(crypto::AdminAlgorithm algorithm, const crypto::RandomSource& random) {
  const std::size_t n = crypto::info(algorithm).key_length;
  for (;;) {
    SecureBytes key(n);
    random(std::span<std::uint8_t>(key.data(), key.size()));
    if (algorithm == crypto::AdminAlgorithm::tdes && crypto::tdes_key_is_weak(key)) continue;
    return AdminKey(std::move(key));
  }
}

codes::Formatted so_key_code(std::string_view card_id, const AdminKey& key) { return codes::format(card_id, key.bytes()); }

AdminKey parse_so_key(std::string_view typed, std::string_view card_id,
                      std::optional<crypto::AdminAlgorithm> algorithm) {
  if (!algorithm) {
    // Without GET METADATA the key's length tells: an SO key is AES-256 (64 hex digits) or TDES (48), plus the check.
    std::size_t digits = static_cast<std::size_t>(
        std::count_if(typed.begin(), typed.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); }));
    algorithm = digits == 2 * 24 + 4 ? crypto::AdminAlgorithm::tdes : crypto::AdminAlgorithm::aes256;
  }
  auto parsed = with_context("reading the SO unblock key", [&] {
    return codes::parse(typed, card_id, crypto::info(*algorithm).key_length);
  });
  AdminKey key(ByteView(parsed.bytes));
  secure_wipe(parsed.bytes.data(), parsed.bytes.size());
  return key;
}

void check_typed_back(std::string_view typed, std::string_view card_id, const AdminKey& shown,
                      crypto::AdminAlgorithm algorithm) {
  const std::string again =
      "start again: cardctl init --so-token shows a new key; record it on paper exactly as shown";
  try {
    AdminKey back = parse_so_key(typed, card_id, algorithm);
    if (crypto::equal_ct(back.bytes(), shown.bytes())) return;
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::usage) throw;
    throw Error(ErrorKind::usage, std::string(e.what()) + "; nothing was written to the card", again);
  }
  throw Error(ErrorKind::usage,
              "the SO unblock key typed back is not the one shown (its check matched, the digits differ); nothing "
              "was written to the card",
              again);
}

std::vector<std::string> so_token_plan(const SoTokenSurvey& s) {
  const auto& so = crypto::info(s.so_algorithm);
  std::vector<std::string> out;
  out.push_back("generate a random " + std::string(so.display) + " SO unblock key and show it once, bound to card " +
                s.card_id + "; it is typed back before anything is written, and never stored");
  out.push_back("read the new SO PIN (6 to 8 characters, typed twice)");
  out.push_back(std::string("authenticate with the factory admin key (") + crypto::info(s.factory_algorithm).display +
                ")");
  out.push_back("set the SO PIN with the admin key (RESET RETRY COUNTER P1=02; a card that refuses it is not made an "
                "SO token)");
  if (!s.has_serial) out.push_back("write a new CHUID (GUID " + to_hex(s.guid) + "): the token's card id");
  out.push_back("set the PUK to a random value that is neither stored nor shown, then block it with wrong tries");
  out.push_back("set the admin key to the SO unblock key (" + std::string(so.display) + ")");
  out.push_back("record so-token issued for card " + s.card_id + " in the audit trail (the algorithm, never the key)");
  return out;
}

void issue_so_token(Site& site, piv::PivSession& session, const SoTokenSurvey& s, const AdminKey& so_key,
                    const Pin& so_pin, const SoTokenRequest& request) {
  with_context("card " + s.card_id, [&] {
    try {
      session.authenticate(AdminKey(ByteView(piv::factory::management_key)), s.factory_algorithm);
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::auth_failed) throw;
      throw not_factory(s.card_id);
    }
    // Sets the PIN whatever it is now (an interrupted run may have changed it), and proves that the card allows
    // the one way back so-unblock takes (SP 800-73-4 Part 2 §3.2.3; ISO 7816-4 §11.5.10 P1=02).
    try {
      session.reset_pin_as_admin(so_pin);
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::unsupported) throw;
      throw Error(ErrorKind::unsupported,
                  "the card does not allow its PIN to be reset with the admin key, the only way back from a blocked "
                  "SO token PIN",
                  "make the SO token from a card that allows it (the reference card does; plain YubiKeys do not); "
                  "nothing was written to this card")
          .with_sw(e.status_word().value_or(0));
    }
    if (!s.has_serial) session.put_chuid(s.guid);
    if (s.puk.remaining != 0) {
      if (s.puk.is_default != false) {
        Puk random_puk = policy::generate_puk(policy::PukRules{}, request.random);
        try {
          session.change_puk(Puk::from_text(piv::factory::puk), random_puk);
        } catch (const Error& e) {
          // Not the factory PUK (an interrupted run changed it) or blocked already: it is blocked below anyway.
          if (e.kind() != ErrorKind::wrong_pin && e.kind() != ErrorKind::blocked) throw;
        }
      }
      session.block_puk();
    }
    session.set_management_key(so_key, s.so_algorithm);
  });
  site.audit({"", request.operator_name, "so-token", s.card_id, "", "issued", "",
              {{"algorithm", crypto::info(s.so_algorithm).name}}});
}

SoUnblockChallenge begin_so_unblock(piv::PivSession& session) {
  SoUnblockChallenge c;
  c.pending.card_id = session.card_id();
  c.serial = session.serial();
  auto mk = session.management_key_info();
  c.pending.algorithm = mk.algorithm;
  c.algorithm_known = mk.is_default.has_value();
  c.pending.pin = session.pin_retries();
  c.pending.challenge = with_context("card " + c.pending.card_id,
                                     [&] { return session.begin_external_auth(c.pending.algorithm); });
  return c;
}

AdminKey parse_so_key(std::string_view typed, const SoUnblockChallenge& c) {
  std::optional<crypto::AdminAlgorithm> known;
  if (c.algorithm_known) known = c.pending.algorithm;
  return parse_so_key(typed, c.pending.card_id, known);
}

namespace {

void record_so_unblock(const SoUnblockRecord& record, const std::string& card_id, const char* outcome,
                       const std::string& reason) {
  if (record.site) record.site->audit({"", record.operator_name, "so-unblock", card_id, "", outcome, reason, {}});
}

}  // namespace

void finish_so_unblock(piv::PivSession& session, SoUnblockChallenge& c, const AdminKey& so_key, const Pin& new_pin,
                       const SoUnblockRecord& record) {
  auto& p = c.pending;
  const auto key_algorithm = c.algorithm_known ? p.algorithm
                             : so_key.size() == crypto::info(crypto::AdminAlgorithm::tdes).key_length
                                 ? crypto::AdminAlgorithm::tdes
                                 : crypto::AdminAlgorithm::aes256;
  with_context("card " + p.card_id, [&] {
    if (key_algorithm != p.algorithm) {
      if (c.algorithm_known)
        throw Error(ErrorKind::usage,
                    std::string("the key typed is a ") + crypto::info(key_algorithm).display + " key; the token's is " +
                        crypto::info(p.algorithm).display,
                    "type the SO unblock key recorded for this token");
      // No metadata: the key's length told the algorithm; the challenge is asked for again in it.
      p.challenge = session.begin_external_auth(key_algorithm);
      p.algorithm = key_algorithm;
    }
    // The helpdesk's step of the offline unblock, computed here: response = E(K_SO, challenge), one block
    // (docs/architecture.md#offline-unblock).
    Bytes response = crypto::encrypt_block(p.algorithm, so_key.bytes(), p.challenge);
    try {
      session.finish_external_auth(p.algorithm, response);
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::auth_failed || e.status_word() != apdu::sw::security_status) throw;
      record_so_unblock(record, p.card_id, "failed", "the token refused the SO unblock key");
      throw Error(ErrorKind::auth_failed,
                  "the token refused the SO unblock key: it is not this token's key (the token is unchanged)",
                  "type the key recorded on paper when this token was issued; its check matched card " + p.card_id +
                      ", so the record itself is of another key (a token issued again?)")
          .with_sw(*e.status_word());
    }
    try {
      session.reset_pin_as_admin(new_pin);
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::unsupported) throw;
      throw Error(ErrorKind::unsupported,
                  "the token does not allow its PIN to be reset with the admin key, so its SO key cannot unblock it",
                  "an SO token is made on a card that allows it (cardctl init --so-token checks); reset this card to "
                  "its factory state and issue a new SO token")
          .with_sw(e.status_word().value_or(0));
    }
  });
  record_so_unblock(record, p.card_id, "ok", "");
}

}  // namespace cardctl::lifecycle
