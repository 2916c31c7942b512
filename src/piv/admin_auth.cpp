// Card management key (9B): GENERAL AUTHENTICATE external and mutual (SP 800-73-4 Part 2 §3.2.4, Appendix A.1),
// YubiKey SET MANAGEMENT KEY and GET METADATA.
#include "cardctl/error.hpp"
#include "cardctl/piv.hpp"
#include "cardctl/tlv.hpp"
#include "secret_command.hpp"

namespace cardctl::piv {

Bytes PivSession::general_authenticate(std::uint8_t algorithm, std::uint8_t key_ref, ByteView template_value,
                                       const std::string& what, bool secret) {
  apdu::Command c{0x00, apdu::ins::general_authenticate, algorithm, key_ref,
                  tlv::encode_secure(tag::dynamic_auth, template_value), 256};
  c.secret_response = secret;
  auto r = channel_.transmit(c);
  apdu::check(r, what);
  return r.data;
}

ManagementKeyInfo PivSession::management_key_info() {
  ManagementKeyInfo info;
  if (auto md = metadata(keyref::management)) {
    if (auto a = tlv::find(*md, tag::md_algorithm); a && a->size() == 1)
      if (auto alg = crypto::admin_algorithm_from_piv_id((*a)[0])) info.algorithm = *alg;
    if (auto d = tlv::find(*md, tag::md_is_default); d && d->size() == 1) info.is_default = (*d)[0] == 1;
    if (auto p = tlv::find(*md, tag::md_policy); p && p->size() == 2) info.touch = static_cast<TouchPolicy>((*p)[1]);
  }
  return info;  // no metadata: TDES, as cards before YubiKey 5.3
}

Bytes PivSession::begin_external_auth(crypto::AdminAlgorithm a) {
  const auto& info = crypto::info(a);
  Bytes reply = general_authenticate(info.piv_id, keyref::management, tlv::encode(tag::challenge, {}),
                                     "asking the card for a challenge");
  ByteView challenge = tlv::expect(tlv::expect(reply, tag::dynamic_auth), tag::challenge);
  if (challenge.size() != info.block_length)
    throw Error(ErrorKind::protocol, "the card sent a " + std::to_string(challenge.size()) + "-byte challenge; a " +
                                         info.display + " key needs " + std::to_string(info.block_length));
  return Bytes(challenge.begin(), challenge.end());
}

void PivSession::finish_external_auth(crypto::AdminAlgorithm a, ByteView response) {
  const auto& info = crypto::info(a);
  if (response.size() != info.block_length)
    throw Error(ErrorKind::usage, "a " + std::string(info.display) + " response is " +
                                      std::to_string(info.block_length * 2) + " hex digits");
  apdu::Command c{0x00, apdu::ins::general_authenticate, info.piv_id, keyref::management,
                  tlv::encode_secure(tag::dynamic_auth, tlv::encode_secure(tag::response, response)), std::nullopt};
  auto r = channel_.transmit(c);
  if (r.sw == apdu::sw::security_status)
    throw Error(ErrorKind::auth_failed, "wrong response: the card did not accept it",
                "check the response code with the helpdesk; the challenge is used up, so start again with a new one")
        .with_sw(r.sw);
  if (r.sw == apdu::sw::conditions || r.sw == apdu::sw::incorrect_data)
    throw Error(ErrorKind::auth_failed,
                "the card no longer holds the challenge (it was reset, removed, replaced or already used)",
                "start again: cardctl challenge shows a new challenge")
        .with_sw(r.sw);
  apdu::check(r, "authenticating with the admin key");
}

void PivSession::authenticate(const AdminKey& key, crypto::AdminAlgorithm a) {
  const auto& info = crypto::info(a);
  if (key.size() != info.key_length)
    throw Error(ErrorKind::usage, std::string("a ") + info.display + " admin key is " +
                                      std::to_string(info.key_length) + " bytes");
  const std::string what = "authenticating with the admin key";
  // Mutual authentication (SP 800-73-4 Part 2 §3.2.4, Appendix A.1): the card sends a witness encrypted under
  // the key; we return it decrypted together with our challenge, and the card proves the key by encrypting it.
  // Every buffer that holds the witness or the challenge is SecureBytes, so all are wiped on every way out.
  Bytes reply = general_authenticate(info.piv_id, keyref::management, tlv::encode(tag::witness, {}), what);
  ByteView witness = tlv::expect(tlv::expect(reply, tag::dynamic_auth), tag::witness);
  if (witness.size() != info.block_length) throw Error(ErrorKind::protocol, what + ": bad witness length");
  SecureBytes challenge(info.block_length);
  crypto::random_bytes(challenge);
  const SecureBytes decrypted = crypto::decrypt_block(a, key.bytes(), witness);
  SecureBytes body = tlv::encode_secure(tag::witness, decrypted);
  tlv::append(body, tag::challenge, challenge);
  apdu::Command c{0x00, apdu::ins::general_authenticate, info.piv_id, keyref::management,
                  tlv::encode_secure(tag::dynamic_auth, body), 256};
  c.secret_response = true;
  const apdu::Response r = detail::transmit_secret(channel_, std::move(c));
  if (r.sw == apdu::sw::security_status)
    throw Error(ErrorKind::auth_failed, what + ": wrong admin key for this card").with_sw(r.sw);
  apdu::check(r, what);
  ByteView card_proof = tlv::expect(tlv::expect(r.data, tag::dynamic_auth), tag::response);
  if (!crypto::equal_ct(card_proof, crypto::encrypt_block(a, key.bytes(), challenge)))
    throw Error(ErrorKind::auth_failed, what + ": the card could not prove it holds the same key",
                "this may not be a genuine card, or the reader is being tampered with");
}

void PivSession::set_management_key(const AdminKey& key, crypto::AdminAlgorithm a, bool require_touch) {
  const auto& info = crypto::info(a);
  if (key.size() != info.key_length)
    throw Error(ErrorKind::usage, std::string("a ") + info.display + " admin key is " +
                                      std::to_string(info.key_length) + " bytes");
  if (a == crypto::AdminAlgorithm::tdes && crypto::tdes_key_is_weak(key.bytes()))
    throw Error(ErrorKind::usage, "refusing a TDES admin key with two equal parts");
  // YubiKey SET MANAGEMENT KEY: P1 P2 = FF FF, or FF FE to require touch; data = algorithm, 9B, length, key.
  const std::uint8_t header[] = {info.piv_id, keyref::management, static_cast<std::uint8_t>(info.key_length)};
  const std::uint8_t p2 = require_touch ? 0xFE : 0xFF;
  auto r = detail::transmit_secret(channel_, {0x00, apdu::ins::set_management_key, 0xFF, p2,
                                              detail::secret_buffer({header, key.bytes()}), std::nullopt});
  apdu::check(r, "setting the admin key");
}

}  // namespace cardctl::piv
