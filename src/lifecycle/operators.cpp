#include "cardctl/operators.hpp"

#include <optional>

#include "cardctl/asym.hpp"
#include "cardctl/audit.hpp"
#include "cardctl/error.hpp"
#include "cardctl/files.hpp"
#include "cardctl/x509.hpp"

namespace cardctl::lifecycle {

namespace {
constexpr const char* kOwner = "system_owner";

std::string checked_name(const std::string& name) {
  bool ok = !name.empty() && name.size() <= 64;
  for (unsigned char c : name) ok = ok && c > 0x20 && c != 0x7f;
  if (!ok || !store::is_utf8_text(name))
    throw Error(ErrorKind::usage, "an operator name is 1 to 64 printable characters without spaces",
                "use the operator's login name, e.g. cardctl operator add alice --role helpdesk");
  return name;
}
}  // namespace

void authorize(Site& site, const std::string& operator_name, std::string_view command) {
  if (site.inventory.operator_count() == 0) {
    // No operator rows: an installation from before operators, or rows deleted to get around the roles. The
    // verified trail tells which (a row's MAC catches edits, not deletions).
    for (const auto& e : site.verified_audit())
      if (e.action == "operator" && e.outcome == "added")
        throw Error(ErrorKind::io, "the operators were deleted from the inventory " + site.inventory.location(),
                    "run cardctl audit verify, keep the file as evidence and restore the inventory from your backup");
    return;
  }
  auto op = site.inventory.find_operator(operator_name);
  // A refusal is audited like the helpdesk's (the command as the action): who tried what is evidence.
  auto refused = [&](const std::string& why) {
    site.audit({"", operator_name, std::string(command), "", "", "refused", why, {}});
  };
  if (!op) {
    refused("not an operator");
    throw Error(ErrorKind::policy, "'" + operator_name + "' is not an operator of this installation",
                "give your operator name with --operator or CARDCTL_OPERATOR; the system owner registers operators: "
                "cardctl operator add NAME --role ROLE");
  }
  if (!site.policy.roles.allows(op->role, command)) {
    refused("role " + op->role + " may not run it");
    throw Error(ErrorKind::policy,
                "operator " + op->name + " (role " + op->role + ") may not run " + std::string(command),
                "the policy's [roles] say which roles may; the system owner can change the role: cardctl operator "
                "remove " + op->name + ", then cardctl operator add " + op->name + " --role ROLE");
  }
}

store::Operator add_operator(Site& site, const std::string& actor, const std::string& name, const std::string& role) {
  checked_name(name);
  if (!site.policy.roles.has(role)) {
    std::string known;
    for (const auto& [r, _] : site.policy.roles.commands) known += (known.empty() ? "" : ", ") + r;
    throw Error(ErrorKind::usage, "the policy has no role '" + role + "'", "roles: " + known);
  }
  store::Operator op{name, role, "", actor};
  site.inventory.with_transaction([&] {
    site.inventory.add_operator(op);
    site.audit({"", actor, "operator", "", "", "added", "", {{"operator", name}, {"role", role}}});
  });
  return *site.inventory.find_operator(name);
}

void remove_operator(Site& site, const std::string& actor, const std::string& name) {
  std::optional<files::StagedFile> cards;
  site.inventory.with_transaction([&] {
    auto op = site.inventory.find_operator(name);
    if (!op) throw Error(ErrorKind::not_found, "no operator '" + name + "' is registered", "cardctl operator list shows them");
    if (op->role == kOwner) {
      int owners = 0;
      for (const auto& o : site.inventory.list_operators()) owners += o.role == kOwner;
      if (owners == 1)
        throw Error(ErrorKind::policy, "operator " + name + " is the last system owner",
                    "register another system owner first: cardctl operator add NAME --role system_owner");
    }
    // The cards' entries go with the operator: written (not yet renamed in) under the inventory's write lock.
    auto file = store::CardUnlockFile::load(site.paths.keystore_cards());
    auto removed_cards = file.remove_operator(name);
    if (!removed_cards.empty()) cards.emplace(site.paths.keystore_cards(), file.serialise(), 0600);
    site.inventory.remove_operator(name);
    for (const auto& card : removed_cards)
      site.audit({"", actor, "operator", card, "", "card-removed", "", {{"operator", name}}});
    site.audit({"", actor, "operator", "", "", "removed", "", {{"operator", name}, {"role", op->role}}});
  });
  // The operator is gone from the inventory already, so a card whose entry survived a failed rename opens the
  // keystore for a name authorize() refuses.
  if (cards) cards->commit();
}

Bytes card_unlock_key(piv::PivSession& session, const std::string& reader) {
  const std::string none = "the card in " + reader + " has no P-256 key in slot 9D";
  const std::string issue = "; issue it with a template that has slot 9d";
  const std::string hint = "in the policy, a [[templates.NAME.slots]] entry with slot = \"9d\" and algorithm = "
                           "\"eccp256\"; cardctl show CARD lists the slots of an issued card";
  Bytes spki;
  if (auto info = session.slot_info(piv::keyref::key_management)) {
    spki = info->public_key_spki;
  } else if (auto cert = session.get_certificate(piv::keyref::key_management)) {
    spki = crypto::certificate_info(*cert).public_key_spki;
  }
  if (spki.empty()) throw Error(ErrorKind::unsupported, none + issue, hint);
  auto algorithm = crypto::public_key_info(spki).algorithm;
  if (algorithm != crypto::KeyAlgorithm::eccp256 && algorithm != crypto::KeyAlgorithm::eccp384)
    throw Error(ErrorKind::unsupported, none + issue + " (the key there is " + crypto::name(algorithm) + ")", hint);
  return spki;
}

void add_operator_card(Site& site, const std::string& actor, const std::string& name, const std::string& card_id,
                       ByteView card_spki) {
  std::optional<files::StagedFile> cards;
  site.inventory.with_transaction([&] {
    if (!site.inventory.find_operator(name))
      throw Error(ErrorKind::not_found, "no operator '" + name + "' is registered",
                  "register the operator with the card: cardctl operator add " + name + " --role ROLE --card-reader READER");
    auto file = store::CardUnlockFile::load(site.paths.keystore_cards());
    if (!file.installation_id.empty() && file.installation_id != site.keystore.installation_id())
      throw Error(ErrorKind::io, "the card-unlock file " + site.paths.keystore_cards() + " belongs to another installation",
                  "move it away; then enrol the operators' cards again with cardctl operator add-card");
    if (auto other = file.operator_of(card_id); !other.empty() && other != name)
      throw Error(ErrorKind::conflict, "card " + card_id + " already opens the keystore for operator " + other,
                  "one card identifies one operator: give " + name + " a card of their own, or remove " + other +
                      " first (cardctl operator remove " + other + ")");
    file.installation_id = site.keystore.installation_id();
    file.put(site.keystore.wrap_file_key(name, card_id, card_spki));
    cards.emplace(site.paths.keystore_cards(), file.serialise(), 0600);
    site.audit({"", actor, "operator", card_id, "", "card-added", "",
                {{"operator", name}, {"key", crypto::name(crypto::public_key_info(card_spki).algorithm)}}});
  });
  cards->commit();
}

std::vector<store::CardUnlockEntry> card_unlock_entries(const SitePaths& paths, const std::string& card_id) {
  auto entries = store::CardUnlockFile::load(paths.keystore_cards()).for_card(card_id);
  if (entries.empty())
    throw Error(ErrorKind::not_found, "the card " + card_id + " opens no keystore here (" + paths.dir + ")",
                "the system owner enrols it with cardctl operator add-card NAME --card-reader READER");
  return entries;
}

Site open_with_card(const SitePaths& paths, piv::PivSession& session, const store::CardUnlockEntry& entry,
                    std::string_view command) {
  auto file = store::CardUnlockFile::load(paths.keystore_cards());
  const SecureBytes shared = session.ecdh(piv::keyref::key_management, entry.ephemeral_point);
  const SecureBytes key = store::unwrap_from_card(entry, file.installation_id, shared);
  Site site = Site::open_with_file_key(paths, key);
  if (site.keystore.installation_id() != file.installation_id)
    throw Error(ErrorKind::io, "the card-unlock file " + paths.keystore_cards() + " belongs to another installation",
                "open the installation with its passphrase; the system owner then enrols the cards again");
  site.audit({"", entry.operator_name, "keystore", entry.card_id, "", "opened", "",
              {{"with", "operator card"}, {"command", std::string(command)}}});
  return site;
}

}  // namespace cardctl::lifecycle
