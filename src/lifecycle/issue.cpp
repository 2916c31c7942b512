#include "cardctl/issue.hpp"

#include <algorithm>
#include <fstream>
#include <set>

#include "cardctl/audit.hpp"
#include "cardctl/error.hpp"
#include "cardctl/files.hpp"
#include "cardctl/holders.hpp"

namespace cardctl::lifecycle {

Pin random_pin(const policy::PinRules& rules, const crypto::RandomSource& random) {
  policy::PukRules digits{rules.min_length, rules.digits_only ? "0123456789" : "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ", 3};
  for (;;) {
    Puk candidate = policy::generate_puk(digits, random);
    Pin pin(candidate.bytes());
    try {
      policy::check_new_pin(rules, pin);
      return pin;
    } catch (const Error&) {  // a trivial pattern: draw again
    }
  }
}

AdminKey admin_key_for(Site& site, const store::CardRecord& card) {
  const auto& tpl = site.policy.card_template(card.template_name);
  if (!tpl.diversify) return site.keystore.fixed_key(tpl.fixed_key).key.clone();
  return site.derive_admin_key(card.key_version, card.algorithm, card.card_id);
}

namespace {

// The progress steps recorded in the inventory (cardctl-issue(1), RESUMING).
namespace steps {
constexpr const char* reserved = "reserved";
constexpr const char* secrets = "secrets";
constexpr const char* keys = "keys";
constexpr const char* awaiting_certificates = "awaiting-certificates";
}  // namespace steps

std::string checked_holder_id(std::string_view given) {
  auto first = given.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos)
    throw Error(ErrorKind::usage, "the holder id is empty",
                "give the holder's id (employee number or user name): --holder ID; the helpdesk identifies callers by it");
  auto last = given.find_last_not_of(" \t\r\n");
  std::string id(given.substr(first, last - first + 1));
  for (unsigned char c : id)
    if (c < 0x20 || c == 0x7f)
      throw Error(ErrorKind::usage, "the holder id contains a control character", "use letters, digits and punctuation");
  if (!store::is_utf8_text(id))
    throw Error(ErrorKind::usage, "the holder id is not UTF-8 text", "use letters, digits and punctuation, in UTF-8");
  return id;
}

// Verifying the current PIN spends a try when it is wrong: never the last one without --force.
void check_pin_tries(piv::PivSession& session, bool force) {
  auto tries = session.pin_retries();
  if (tries.remaining == 0)
    throw Error(ErrorKind::blocked, "the card's PIN is blocked", "reset the card to its factory state before issuing it");
  if (tries.remaining == 1 && !force)
    throw Error(ErrorKind::policy, "the card's PIN has 1 try left; issuing verifies the current PIN and could spend it",
                "make sure the card still has its factory PIN (or pass it with --current-pin-file), then add --force");
}


// A template the card cannot carry out is refused before anything is written (cardctl-issue(1), CARD STATE).
// GET VERSION is sent only when the answer matters: a card that answered GET METADATA in the survey has firmware
// 5.3 or later, which has every feature checked here but an AES admin key (5.4).
void check_card_can(const policy::CardTemplate& tpl, const CardSurvey& s, piv::PivSession& session) {
  std::optional<piv::Version> version;
  auto read_version = [&]() -> const piv::Version& {
    if (!version) version = session.version();
    if (!version)
      throw Error(ErrorKind::unsupported,
                  "card " + s.card_id + " does not answer GET VERSION: cardctl issues cards with the YubiKey PIV "
                  "extensions (SET PIN RETRIES, RESET, key policies)",
                  "issue this card with its vendor's tool");
    return *version;
  };
  if (!s.admin_key_default) read_version();
  auto at_least = [&](int major, int minor, int patch) {
    if (!version && piv::Version{5, 3, 0}.at_least(major, minor, patch)) return true;
    return read_version().at_least(major, minor, patch);
  };
  auto refuse = [&](const std::string& what, const std::string& why) {
    throw Error(ErrorKind::unsupported,
                "template " + tpl.name + " asks for " + what + ", which card " + s.card_id + " cannot do: " + why +
                    ", the card has " + read_version().to_string(),
                "use a template without it for this card (cardctl policy check lists the templates)");
  };
  if (crypto::info(tpl.admin_algorithm).name != std::string("tdes") && !at_least(5, 4, 0))
    refuse(std::string("an ") + crypto::info(tpl.admin_algorithm).display + " admin key",
           "AES admin keys need firmware 5.4 or later");
  for (const auto& slot : tpl.slots) {
    std::string where = std::string("slot ") + to_hex(Bytes{slot.slot});
    if (slot.algorithm == crypto::KeyAlgorithm::eccp384 && !at_least(4, 0, 0))
      refuse(where + " with eccp384", "P-384 needs firmware 4.0 or later");
    if (slot.slot >= 0x82 && slot.slot <= 0x95 && !at_least(4, 0, 0))
      refuse(where, "retired key slots need firmware 4.0 or later");
    if (slot.touch_policy != piv::TouchPolicy::default_policy && slot.touch_policy != piv::TouchPolicy::never &&
        !at_least(4, 0, 0))
      refuse(where + " with a touch policy", "touch needs firmware 4.0 or later");
    if (slot.touch_policy == piv::TouchPolicy::cached && !at_least(4, 3, 0))
      refuse(where + " with touch_policy cached", "it needs firmware 4.3 or later");
  }
}

std::string slot_text(std::uint8_t slot) { return to_hex(Bytes{slot}); }

const char* pin_policy_name(piv::PinPolicy p) {
  switch (p) {
    case piv::PinPolicy::never: return "never";
    case piv::PinPolicy::once: return "once";
    case piv::PinPolicy::always: return "always";
    default: return "default";
  }
}

// One issuance: the survey, the request and what has been done so far, shared by the steps.
struct Issuance {
  Site& site;
  piv::PivSession& session;
  const policy::CardTemplate& tpl;
  IssueRequest& req;
  CardSurvey survey;
  IssueResult result;
  AdminKey new_key;
  store::Holder holder;
  bool pin_verified = false;  // the card's current PIN is verified in this session
};

struct Step {
  std::string description;
  std::function<void()> run;
};

void record_step(Issuance& is, const char* step) { is.site.inventory.set_issuance_step(is.result.card_id, step); }

// A holder has one card of each template; a lost one is revoked with --replace. A half-issued card of the holder
// elsewhere keeps the holder (batch issuance relies on this for exactly-once).
void check_holder_cards(Issuance& is) {
  for (const auto& c : is.site.inventory.cards_of_holder(is.holder.holder_id)) {
    if (c.card_id == is.result.card_id || c.template_name != is.tpl.name) continue;
    if (c.state == store::CardState::active && !is.req.replace)
      throw HolderHasCard(c.card_id, c.state,
                  "holder " + is.holder.holder_id + " already has a " + is.tpl.name + " card, " + c.card_id + " (active)",
                  "a lost or broken card is replaced with --replace (it is revoked); a returned one is retired first: "
                  "cardctl retire " + c.card_id);
    if (c.state == store::CardState::pending)
      throw HolderHasCard(c.card_id, c.state, "holder " + is.holder.holder_id + " has a half-issued " + is.tpl.name + " card, " + c.card_id,
                  "put card " + c.card_id + " in the reader and issue it again to finish it, or retire it: cardctl retire " +
                      c.card_id);
  }
}

void reserve(Issuance& is) {
  auto& inv = is.site.inventory;
  inv.with_transaction([&] {
    check_holder_cards(is);
    if (auto existing = inv.find_holder(is.holder.holder_id)) {
      if (existing->name != is.holder.name || existing->email != is.holder.email) {
        if (is.req.holder_name.empty()) is.holder.name = existing->name;
        if (is.req.holder_email.empty()) is.holder.email = existing->email;
        inv.update_holder(is.holder);
      }
    } else {
      inv.add_holder(is.holder);
    }
    if (!is.req.answers.empty()) inv.enrol_answers(is.holder.holder_id, is.req.answers);
    if (is.req.replace)
      for (const auto& c : inv.cards_of_holder(is.holder.holder_id))
        if (c.state == store::CardState::active && c.card_id != is.result.card_id && c.template_name == is.tpl.name) {
          inv.set_card_state(c.card_id, store::CardState::revoked);
          is.result.replaced_card = c.card_id;
          is.site.audit({"", is.req.operator_name, "revoke", c.card_id, is.holder.holder_id, "ok", "",
                         {{"reason", "replaced by card " + is.result.card_id}}});
        }
    inv.reissue_card({is.result.card_id, is.holder.holder_id, is.tpl.name, is.tpl.admin_algorithm, is.result.key_version,
                      store::CardState::pending, "", ""});
    inv.store_puk(is.result.card_id, is.result.puk, is.site.keystore.escrow_key());
    inv.store_first_pin(is.result.card_id, is.result.pin, is.site.keystore.escrow_key());
    record_step(is, steps::reserved);
  });
}

// VERIFY with the card's current PIN (the factory one, or --current-pin-file) unless it is verified already.
void verify_current_pin(Issuance& is, bool again = false) {
  if (is.pin_verified && !again) return;
  is.session.verify_pin(is.req.current_pin);
  is.pin_verified = true;
}

void certify_slot(Issuance& is, const policy::SlotTemplate& slot, IssuedSlot& out, ByteView spki) {
  auto& session = is.session;
  // PIN policy "always" (9C's default) wants the PIN right before each use, and the use consumes it.
  const bool always = piv::effective_pin_policy(slot.slot, slot.pin_policy) == piv::PinPolicy::always;
  crypto::ExternalSigner sign = [&](ByteView tbs) {
    verify_current_pin(is, always);
    if (always) is.pin_verified = false;
    return session.sign_sha256(slot.slot, slot.algorithm, tbs);
  };
  auto profile = certificate_profile(is.tpl, slot.slot, is.holder);
  Bytes csr = crypto::make_csr(spki, profile.subject, sign);
  if (is.req.certificates.ca == nullptr) {
    out.csr_file = is.req.certificates.csr_dir + "/" + is.result.card_id + "-" + slot_text(slot.slot) + ".csr";
    files::write_atomic(out.csr_file, to_bytes(crypto::der_to_pem(csr, "CERTIFICATE REQUEST")), 0644);
    return;
  }
  out.certificate = is.req.certificates.ca->issue(csr, profile);
  session.put_certificate(slot.slot, out.certificate);
  out.not_after = crypto::certificate_info(out.certificate).not_after;
  is.site.inventory.store_certificate(is.result.card_id, slot.slot, out.certificate, out.not_after);
}

std::string certificate_step(const Issuance& is, const policy::SlotTemplate& slot) {
  std::string subject = certificate_profile(is.tpl, slot.slot, is.holder).subject;
  if (is.req.certificates.ca == nullptr && is.req.certificates.csr_dir.empty())
    return "certify slot " + slot_text(slot.slot) + " (" + subject + ") with the CA given with --ca-cert and --ca-key";
  if (is.req.certificates.ca == nullptr)
    return "write a certificate request for slot " + slot_text(slot.slot) + " (" + subject + ") to " +
           is.req.certificates.csr_dir;
  return "certify slot " + slot_text(slot.slot) + " (" + subject + ", " + std::to_string(is.tpl.certificate.days) +
         " days) with the CA and write the certificate to the card";
}

std::vector<Step> plan(Issuance& is) {
  std::vector<Step> out;
  auto& s = is.session;
  const auto& tpl = is.tpl;
  if (is.survey.kind == CardKind::pending)
    out.push_back({"reset the half-issued card to its factory state (block PIN and PUK, then RESET)",
                   [&] { s.factory_reset(); }});
  const bool reset = is.survey.kind == CardKind::pending;
  out.push_back({std::string("authenticate with the factory admin key") +
                     (reset ? "" : std::string(" (") + crypto::info(is.survey.admin_algorithm).display + ")"),
                 [&, reset] {
                   // After RESET the card has its factory key, of the algorithm its firmware defaults to.
                   crypto::AdminAlgorithm current = reset ? s.management_key_info().algorithm : is.survey.admin_algorithm;
                   try {
                     s.authenticate(AdminKey(ByteView(piv::factory::management_key)), current);
                   } catch (const Error& e) {
                     if (e.kind() != ErrorKind::auth_failed) throw;
                     is.survey.kind = CardKind::foreign;
                     throw not_issuable(is.survey);
                   }
                 }});
  out.push_back({"write a new CHUID (GUID " + to_hex(is.survey.guid) + ")", [&] { s.put_chuid(is.survey.guid); }});
  out.push_back({"record card " + is.result.card_id + " as pending for holder " + is.holder.holder_id +
                     (is.req.replace ? " (revoking the holder's active card)" : "") +
                     ", escrowing its new PUK and first PIN",
                 [&] { reserve(is); }});
  // The keys are generated and certified under the card's current PIN, verified once for them and for SET PIN
  // RETRIES; the PUK and PIN change last (SET PIN RETRIES resets both to the factory values).
  out.push_back({"verify the card's current PIN", [&] {
                   check_pin_tries(s, is.req.force);
                   verify_current_pin(is);
                 }});
  for (std::size_t i = 0; i < tpl.slots.size(); ++i) {
    const auto& slot = tpl.slots[i];
    is.result.slots.push_back({slot.slot, slot.algorithm, {}, {}, {}});
    out.push_back({std::string("generate an ") + crypto::name(slot.algorithm) + " key on the card in slot " +
                       slot_text(slot.slot) + " (PIN policy " + pin_policy_name(slot.pin_policy) + ")",
                   [&, i] {
                     const auto& sl = tpl.slots[i];
                     Bytes spki = s.generate_key(sl.slot, sl.algorithm, sl.pin_policy, sl.touch_policy);
                     certify_slot(is, sl, is.result.slots[i], spki);
                   }});
    out.back().description += "; " + certificate_step(is, slot);
  }
  const auto retired = static_cast<std::uint8_t>(std::count_if(tpl.slots.begin(), tpl.slots.end(), [](const auto& sl) {
    return sl.slot >= piv::keyref::retired_first && sl.slot <= piv::keyref::retired_last;
  }));
  if (retired > 0)  // so that readers (cardctl status among them) know the retired slots are in use
    out.push_back({"write the key history object (" + std::to_string(retired) + " retired key(s))", [&, retired] {
                     s.put_key_history({retired, 0});
                   }});
  if (!tpl.slots.empty()) out.push_back({"record the keys", [&] { record_step(is, steps::keys); }});
  out.push_back({"set the PIN retries to " + std::to_string(tpl.pin.retries) + " and the PUK retries to " +
                     std::to_string(tpl.puk.retries),
                 [&] {
                   verify_current_pin(is);
                   s.set_pin_retries(tpl.pin.retries, tpl.puk.retries);
                   is.pin_verified = false;
                 }});
  out.push_back({"change the PUK to the escrowed one", [&] {
                   s.change_puk(Puk::from_text(piv::factory::puk), is.result.puk);
                 }});
  out.push_back({"change the PIN to the first PIN", [&] {
                   s.change_pin(Pin::from_text(piv::factory::pin), is.result.pin);
                   record_step(is, steps::secrets);
                 }});
  out.push_back({std::string("set the admin key: ") + crypto::info(tpl.admin_algorithm).display +
                     (tpl.diversify ? ", derived from master key version " + std::to_string(is.result.key_version)
                                    : ", the fixed key '" + tpl.fixed_key + "'"),
                 [&] { s.set_management_key(is.new_key, tpl.admin_algorithm); }});
  bool waits = !tpl.slots.empty() && is.req.certificates.ca == nullptr && !is.req.certificates.csr_dir.empty();
  if (waits) {
    out.push_back({"leave card " + is.result.card_id + " pending until its certificates are imported", [&] {
                     record_step(is, steps::awaiting_certificates);
                     is.result.awaiting_certificates = true;
                   }});
  } else {
    out.push_back({"mark card " + is.result.card_id + " active and record the issuance in the audit trail", [&] {
                     auto& inv = is.site.inventory;
                     inv.with_transaction([&] {
                       inv.set_card_state(is.result.card_id, store::CardState::active);
                       std::string slots;
                       for (const auto& sl : is.result.slots) slots += (slots.empty() ? "" : ",") + slot_text(sl.slot);
                       store::AuditEntry entry{"", is.req.operator_name, "issue", is.result.card_id, is.holder.holder_id,
                                               "ok", "",
                                               {{"template", tpl.name},
                                                {"algorithm", crypto::info(tpl.admin_algorithm).name},
                                                {"key_version", std::to_string(is.result.key_version)},
                                                {"answers", std::to_string(is.req.answers.size())}}};
                       if (!slots.empty()) entry.details.emplace_back("slots", slots);
                       if (!is.result.replaced_card.empty()) entry.details.emplace_back("replaced", is.result.replaced_card);
                       is.site.audit(std::move(entry));
                     });
                   }});
  }
  return out;
}

std::string escaped_for_subject(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == ',' || c == '\\' || c == '+' || c == '=') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

}  // namespace

crypto::CertificateProfile certificate_profile(const policy::CardTemplate& tpl, std::uint8_t slot,
                                               const store::Holder& holder) {
  const auto& rules = tpl.certificate;
  crypto::CertificateProfile p;
  p.subject = policy::expand_holder_fields(rules.subject, escaped_for_subject(holder.holder_id),
                                           escaped_for_subject(holder.name), escaped_for_subject(holder.email));
  p.days = rules.days;
  p.email = policy::expand_holder_fields(rules.email, holder.holder_id, holder.name, holder.email);
  p.upn = policy::expand_holder_fields(rules.upn, holder.holder_id, holder.name, holder.email);
  p.key_usage = rules.key_usage;
  p.extended_key_usage = rules.extended_key_usage;
  if (p.key_usage.empty()) {
    if (slot == piv::keyref::key_management) p.key_usage = {"keyEncipherment", "keyAgreement"};
    else if (slot == piv::keyref::signature) p.key_usage = {"digitalSignature", "nonRepudiation"};
    else p.key_usage = {"digitalSignature"};
  }
  if (p.extended_key_usage.empty()) {
    if (slot == piv::keyref::authentication) p.extended_key_usage = {"clientAuth", "smartcardLogon"};
    else if (slot == piv::keyref::signature || slot == piv::keyref::key_management) p.extended_key_usage = {"emailProtection"};
    else if (slot == piv::keyref::card_authentication) p.extended_key_usage = {"clientAuth"};
  }
  return p;
}

IssueResult issue_card(Site& site, piv::PivSession& session, IssueRequest req) {
  const auto& tpl = site.policy.card_template(req.template_name);
  req.holder_id = checked_holder_id(req.holder_id);
  // A holder who enrolled answers before (a second card, a replacement) need not give them again.
  bool enrolled = static_cast<int>(site.inventory.enrolled_questions(req.holder_id).size()) >=
                  site.policy.helpdesk.questions_enrolled;
  check_answers(site.policy.helpdesk, req.answers, req.answers_optional || enrolled);
  if (req.first_pin) policy::check_new_pin(tpl.pin, *req.first_pin);
  if (!tpl.slots.empty() && req.certificates.ca == nullptr && req.certificates.csr_dir.empty() && !req.dry_run)
    throw Error(ErrorKind::usage,
                "template " + tpl.name + " generates keys, and no CA is given to certify them",
                "give the CA with --ca-cert FILE --ca-key FILE (or ca_certificate and ca_key in the template), or "
                "write certificate requests with --csr-out DIR");
  if (!tpl.diversify && site.keystore.fixed_key(tpl.fixed_key).algorithm != tpl.admin_algorithm)
    throw Error(ErrorKind::policy, "template " + tpl.name + " names fixed key '" + tpl.fixed_key +
                                       "' whose algorithm differs from the template's");

  Issuance is{site, session, tpl, req, req.survey ? *req.survey : survey_card(site, session), {}, {}, {}};
  is.result.card_id = is.survey.card_id;
  is.result.holder_id = req.holder_id;
  is.result.algorithm = tpl.admin_algorithm;
  is.result.found = is.survey.kind;
  if (is.survey.kind == CardKind::issued || is.survey.kind == CardKind::foreign) throw not_issuable(is.survey);
  if (is.survey.kind == CardKind::pending && is.survey.step == steps::awaiting_certificates)
    throw Error(ErrorKind::conflict, "card " + is.result.card_id + " waits for its certificates",
                "cardctl issue --import-certificates DIR completes it; cardctl retire " + is.result.card_id +
                    " starts it over");
  check_card_can(tpl, is.survey, session);

  is.holder = {req.holder_id, req.holder_name, req.holder_email};
  if (auto existing = site.inventory.find_holder(req.holder_id)) {
    if (req.holder_name.empty()) is.holder.name = existing->name;
    if (req.holder_email.empty()) is.holder.email = existing->email;
  }
  if (is.holder.name.find_first_not_of(" \t") == std::string::npos) is.holder.name = req.holder_id;
  // A profile the CA would refuse (a malformed e-mail address, say) is refused before the card is touched.
  for (const auto& slot : tpl.slots) crypto::check_profile(certificate_profile(tpl, slot.slot, is.holder));
  if (tpl.diversify) {
    is.result.key_version = site.keystore.current_version();
    is.new_key = site.derive_admin_key(is.result.key_version, tpl.admin_algorithm, is.result.card_id);
  } else {
    is.new_key = site.keystore.fixed_key(tpl.fixed_key).key.clone();
  }
  check_holder_cards(is);  // early, for a clear message; checked again when the card is reserved
  if (!req.dry_run) {
    is.result.puk = policy::generate_puk(tpl.puk, crypto::system_random());
    is.result.pin = req.first_pin ? std::move(*req.first_pin) : random_pin(tpl.pin, crypto::system_random());
  }
  auto steps = plan(is);
  for (const auto& step : steps) is.result.plan.push_back(step.description);
  if (req.dry_run) return std::move(is.result);
  for (const auto& step : steps) {
    if (req.on_step) req.on_step(step.description);
    step.run();
  }
  return std::move(is.result);
}

IssueResult import_certificates(Site& site, piv::PivSession& session, const std::string& dir,
                                const std::string& operator_name) {
  CardSurvey survey = survey_card(site, session);
  if (survey.kind != CardKind::pending || survey.step != steps::awaiting_certificates)
    throw Error(ErrorKind::conflict,
                "card " + (survey.card_id.empty() ? std::string("in the reader") : survey.card_id) +
                    " is not waiting for certificates" +
                    (survey.record ? std::string(" (it is ") + store::to_string(survey.record->state) + ")" : ""),
                "only cards issued with --csr-out wait for certificates");
  const auto& card = *survey.record;
  const auto& tpl = site.policy.card_template(card.template_name);
  IssueResult result{card.card_id, card.holder_id, card.algorithm, card.key_version, Pin(), Puk(), survey.kind, {}, {}, false, false, {}};
  result.imported = true;
  std::vector<Bytes> certs;
  for (const auto& slot : tpl.slots) {
    std::string base = dir + "/" + card.card_id + "-" + slot_text(slot.slot);
    std::string text;
    for (const char* ext : {".crt", ".pem", ".der"})
      if (files::exists(base + ext)) {
        std::ifstream in(base + ext, std::ios::binary);
        text.assign(std::istreambuf_iterator<char>(in), {});
        break;
      }
    if (text.empty())
      throw Error(ErrorKind::not_found, "no certificate for card " + card.card_id + " slot " + slot_text(slot.slot) + " in " + dir,
                  "the CA's certificate for " + base + ".csr goes to " + base + ".crt (PEM or DER)");
    Bytes der = text.find("-----BEGIN") != std::string::npos ? crypto::pem_to_der(text) : to_bytes(text);
    auto info = crypto::certificate_info(der);
    auto on_card = session.slot_info(slot.slot);
    if (!on_card || on_card->public_key_spki != info.public_key_spki)
      throw Error(ErrorKind::wrong_data,
                  "the certificate " + base + ".crt is not for the key in slot " + slot_text(slot.slot) + " of card " + card.card_id,
                  "check that the CA certified the request " + base + ".csr");
    result.slots.push_back({slot.slot, slot.algorithm, der, "", info.not_after});
    certs.push_back(std::move(der));
  }
  session.authenticate(admin_key_for(site, card), card.algorithm);
  for (const auto& sl : result.slots) {
    session.put_certificate(sl.slot, sl.certificate);
    site.inventory.store_certificate(card.card_id, sl.slot, sl.certificate, sl.not_after);
  }
  site.inventory.with_transaction([&] {
    site.inventory.set_card_state(card.card_id, store::CardState::active);
    std::string slots;
    for (const auto& sl : result.slots) slots += (slots.empty() ? "" : ",") + slot_text(sl.slot);
    site.audit({"", operator_name, "issue", card.card_id, card.holder_id, "ok", "",
                {{"template", tpl.name},
                 {"algorithm", crypto::info(card.algorithm).name},
                 {"key_version", std::to_string(card.key_version)},
                 {"slots", slots},
                 {"certificates", "imported"}}});
  });
  return result;
}

void first_pin_delivered(Site& site, const std::string& card_id) { site.inventory.forget_first_pin(card_id); }

}  // namespace cardctl::lifecycle
