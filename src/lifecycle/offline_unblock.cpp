#include "cardctl/offline_unblock.hpp"

#include "cardctl/apdu.hpp"
#include "cardctl/error.hpp"

namespace cardctl::lifecycle {

namespace {
PendingChallenge identify(piv::PivSession& session) {
  PendingChallenge p;
  p.card_id = session.card_id();
  p.algorithm = session.management_key_info().algorithm;
  return p;
}
}  // namespace

PendingChallenge begin_offline_unblock(piv::PivSession& session) {
  PendingChallenge p = identify(session);
  p.pin = session.pin_retries();
  p.challenge = with_context("card " + p.card_id, [&] { return session.begin_external_auth(p.algorithm); });
  return p;
}

PendingChallenge resume_offline_unblock(piv::PivSession& session) { return identify(session); }

void finish_offline_unblock(piv::PivSession& session, const PendingChallenge& pending, ByteView response,
                            const Pin& new_pin, bool response_checked) {
  with_context("card " + pending.card_id, [&] {
    try {
      session.finish_external_auth(pending.algorithm, response);
    } catch (const Error& e) {
      if (!response_checked || e.kind() != ErrorKind::auth_failed || e.status_word() != apdu::sw::security_status)
        throw;
      // The check proves the response is the one the helpdesk computed for this card: either it answers another
      // challenge, or the card's admin key is no longer the one the inventory holds (cardctl(1), SECURITY).
      throw Error(ErrorKind::auth_failed,
                  "the card rejected a response that was read out correctly (its check matched): it answers another "
                  "challenge, or the card's admin key is no longer the one the helpdesk holds (the card was re-keyed)",
                  "start again with a new challenge; if a correct response is rejected again, tell the helpdesk, who "
                  "records it with: cardctl respond --card " + pending.card_id + " --report-rejected")
          .with_sw(*e.status_word());
    }
    session.reset_pin_as_admin(new_pin);
  });
}

Bytes compute_response(const MasterKey& master, crypto::AdminAlgorithm algorithm, std::string_view card_id,
                       std::uint32_t key_version, ByteView challenge) {
  return compute_response(crypto::master_key_prf(master), algorithm, card_id, key_version, challenge);
}

Bytes compute_response(const crypto::Prf& master_prf, crypto::AdminAlgorithm algorithm, std::string_view card_id,
                       std::uint32_t key_version, ByteView challenge) {
  const auto& info = crypto::info(algorithm);
  if (challenge.size() != info.block_length)
    throw Error(ErrorKind::usage, std::string("a ") + info.display + " challenge is " +
                                      std::to_string(info.block_length * 2) + " hex digits");
  AdminKey key = crypto::derive_admin_key(master_prf, algorithm, card_id, key_version);
  return crypto::encrypt_block(algorithm, key.bytes(), challenge);
}

Bytes parse_code(std::string_view typed, std::string_view card_id, crypto::AdminAlgorithm algorithm,
                 const char* what, bool no_check) {
  return with_context(std::string("reading the ") + what, [&] {
    return codes::parse(typed, card_id, crypto::info(algorithm).block_length, no_check).bytes;
  });
}

}  // namespace cardctl::lifecycle
