// GENERAL AUTHENTICATE with the card management key 9B (SP 800-73-4 Part 2 §3.2.4, Appendix A;
// docs/protocol.md#admin-key-authentication): external authenticate (challenge 81 -> response 82) and mutual
// (witness 80).
#include "card_impl.hpp"
#include "cardctl/crypto.hpp"
#include "cardctl/piv_ids.hpp"
#include "cardctl/tlv.hpp"

namespace cardctl::sim {

namespace {
Bytes template_of(std::uint32_t tag, ByteView value) { return tlv::encode(piv::tag::dynamic_auth, tlv::encode(tag, value)); }
}  // namespace

Response ReferenceCardImpl::general_authenticate(const Command& c) {
  if (c.p2 == piv::keyref::management) return admin_authenticate(c);
  return asymmetric_authenticate(c);
}

Response ReferenceCardImpl::admin_authenticate(const Command& c) {
  auto alg = crypto::admin_algorithm_from_piv_id(c.p1);
  if (!alg || *alg != state.admin_algorithm) return status(apdu::sw::wrong_p1p2_6a86);
  const auto& info = crypto::info(*alg);
  auto items = tlv::parse(tlv::expect(c.data, piv::tag::dynamic_auth));
  std::optional<ByteView> witness, challenge, response;
  for (const auto& i : items) {
    if (i.tag == piv::tag::witness) witness = i.value;
    else if (i.tag == piv::tag::challenge) challenge = i.value;
    else if (i.tag == piv::tag::response) response = i.value;
  }
  auto& s = state.session;
  const Pending was = s.pending;
  SecureBytes expected = std::move(s.pending_value);
  s.pending = Pending::none;  // a pending challenge or witness is single-use
  s.pending_value.clear();

  auto fresh = [&] {
    SecureBytes r(info.block_length);
    random(std::span<std::uint8_t>(r.data(), r.size()));
    return r;
  };

  if (witness && witness->empty()) {  // mutual, step 1: card sends E(K, R)
    SecureBytes r = fresh();
    Bytes w = crypto::encrypt_block(*alg, state.admin_key, r);
    s.pending = Pending::witness;
    s.pending_value = std::move(r);
    return ok(template_of(piv::tag::witness, w));
  }
  if (witness) {  // mutual, step 2: client returns R and its challenge H
    if (was != Pending::witness) return status(apdu::sw::conditions);
    if (!challenge || challenge->size() != info.block_length || witness->size() != info.block_length)
      return status(apdu::sw::incorrect_data);
    if (!crypto::equal_ct(*witness, expected)) {
      s.admin_authenticated = false;
      return status(apdu::sw::security_status);
    }
    s.admin_authenticated = true;
    return ok(template_of(piv::tag::response, crypto::encrypt_block(*alg, state.admin_key, *challenge)));
  }
  if (challenge && challenge->empty() && !response) {  // external, step 1: a plain random challenge
    SecureBytes cval = fresh();
    s.pending = Pending::challenge;
    s.pending_value = cval;
    return ok(template_of(piv::tag::challenge, cval));
  }
  if (response && !response->empty()) {  // external, step 2: the client proves E(K, C)
    // No pending challenge (reset, removed, replaced or used): 6985 so that the client can say "start again"
    // instead of "wrong response".
    if (was != Pending::challenge) return status(apdu::sw::conditions);
    if (response->size() != info.block_length) return status(apdu::sw::incorrect_data);
    Bytes want = crypto::encrypt_block(*alg, state.admin_key, expected);
    s.admin_authenticated = crypto::equal_ct(*response, want);
    return status(s.admin_authenticated ? apdu::sw::ok : apdu::sw::security_status);
  }
  return status(apdu::sw::incorrect_data);
}

}  // namespace cardctl::sim
