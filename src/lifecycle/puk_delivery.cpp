#include "cardctl/puk_delivery.hpp"

#include <algorithm>
#include <cstdio>

#include "cardctl/cms.hpp"
#include "cardctl/error.hpp"
#include "cardctl/files.hpp"
#include "cardctl/ledger.hpp"
#include "cardctl/piv_ids.hpp"

namespace cardctl::lifecycle {

namespace {

const char* const kListHint = "cardctl list shows the cards in the inventory";

// One card whose PUK is exported, with what the messages say about its holder.
struct Selected {
  store::CardRecord card;
  std::string name;  // the holder's name; their id when they have none
  std::string email;
  Puk puk;
};

SecureString& operator<<(SecureString& s, std::string_view text) {
  s.append(text.data(), text.size());
  return s;
}

SecureBytes bytes_of(const SecureString& s) { return SecureBytes(s.begin(), s.end()); }

// The PUK in groups of four, as a holder reads it off paper ("48AC  91ZK"); as it is when it holds a space.
SecureString grouped(std::string_view puk) {
  SecureString out;
  if (puk.find(' ') != std::string_view::npos) return out << puk;
  for (std::size_t i = 0; i < puk.size(); i += 4) {
    if (i != 0) out << "  ";
    out << puk.substr(i, 4);
  }
  return out;
}

// A JSON string literal (RFC 8259 section 7) built in wiped memory: the JSON library's strings are not wiped,
// and this one holds a PUK.
void append_json_string(SecureString& out, std::string_view s) {
  out << "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
      out << buf;
    } else {
      out.push_back(c);
    }
  }
  out << "\"";
}

std::string holder_line(const Selected& e) {
  if (e.card.holder_id.empty()) return "(none)";
  return e.name == e.card.holder_id ? e.card.holder_id : e.name + " (" + e.card.holder_id + ")";
}

// What the CMS message holds: short text the holder's mail client or `openssl cms -decrypt` shows.
SecureString cms_content(const Selected& e) {
  SecureString s;
  s << "cardctl PIN Unblock Code (PUK)\n"
    << "Card:   " << e.card.card_id << "\n"
    << "Holder: " << holder_line(e) << "\n"
    << "PUK:    " << e.puk.text() << "\n\n"
    << "If your PIN is blocked, run `cardctl unblock --puc` and type this PUK when asked.\n"
    << "Keep it secret; delete this message once you have stored the PUK safely.\n";
  return s;
}

// One printable PIN-mailer page.
SecureString mailer_page(const Selected& e, int puk_retries) {
  SecureString s;
  s << "PERSONAL AND CONFIDENTIAL\n\n"
    << "PIN Unblock Code (PUK) for your smart card\n"
    << "==========================================\n\n"
    << "Holder:  " << holder_line(e) << "\n"
    << "Card:    " << e.card.card_id << "\n\n"
    << "Your PUK:\n\n"
    << "        " << grouped(e.puk.text()) << "\n\n"
    << "(type it without the spaces)\n\n"
    << "What it is for\n"
    << "  When a wrong PIN has been entered too many times, the card's PIN is blocked. The PUK unblocks it\n"
    << "  without the helpdesk: run\n\n"
    << "      cardctl unblock --puc\n\n"
    << "  type this PUK when asked, and choose a new PIN.\n";
  if (puk_retries > 0)
    s << "  After " << std::to_string(puk_retries) << " wrong PUKs the card can no longer be unblocked at all.\n";
  s << "\nKeep it secret\n"
    << "  Anyone who holds your card and this PUK can set a new PIN. Do not keep this page with the card,\n"
    << "  do not copy it into an e-mail or a file, and never tell it to anyone: the helpdesk never asks for it.\n\n"
    << "Destroy after use\n"
    << "  Keep this page locked away until you need it; shred it once the PUK has been used, or when the\n"
    << "  card is returned.\n";
  return s;
}

// One document for every card: [{"card_id", "holder_id", "name", "email", "puk"}, ...].
SecureBytes json_document(const std::vector<Selected>& selected) {
  SecureString s;
  s << "[";
  for (std::size_t i = 0; i < selected.size(); ++i) {
    const auto& e = selected[i];
    s << (i == 0 ? "\n" : ",\n") << "  {\n    \"card_id\": ";
    append_json_string(s, e.card.card_id);
    s << ",\n    \"holder_id\": ";
    append_json_string(s, e.card.holder_id);
    s << ",\n    \"name\": ";
    append_json_string(s, e.name);
    s << ",\n    \"email\": ";
    append_json_string(s, e.email);
    s << ",\n    \"puk\": ";
    append_json_string(s, e.puk.text());
    s << "\n  }";
  }
  s << (selected.empty() ? "]\n" : "\n]\n");
  return bytes_of(s);
}

// The card's own certificate from the inventory: the key management key's (9D, in SP 800-73-4 the key for
// key establishment) first, else the PIV authentication key's (9A).
Bytes card_certificate(Site& site, const std::string& card_id) {
  auto certs = site.inventory.certificates(card_id);
  for (std::uint8_t slot : {piv::keyref::key_management, piv::keyref::authentication})
    for (const auto& c : certs)
      if (c.slot == slot) return c.der;
  throw Error(ErrorKind::not_found, "card " + card_id + " has no certificate in the inventory (slot 9d or 9a)",
              "give the holder's encryption certificate with --recipient FILE, or deliver the PUK with --format mailer");
}

bool exportable(store::CardState s) { return s == store::CardState::active || s == store::CardState::pending; }

std::vector<store::CardRecord> selected_cards(Site& site, const PukExportRequest& request) {
  std::vector<store::CardRecord> out;
  if (!request.holder.empty()) {
    if (!site.inventory.find_holder(request.holder))
      throw Error(ErrorKind::not_found, "holder " + request.holder + " is not in the inventory",
                  "cardctl list shows the holders of the cards");
    for (auto& c : site.inventory.cards_of_holder(request.holder))
      if (exportable(c.state)) out.push_back(std::move(c));
    if (out.empty())
      throw Error(ErrorKind::policy, "holder " + request.holder + " has no active or pending card",
                  "a revoked or retired card's PUK is not exported; cardctl list --holder " + request.holder +
                      " shows their cards");
    return out;
  }
  for (const auto& id : request.cards) {
    if (std::any_of(out.begin(), out.end(), [&](const store::CardRecord& c) { return c.card_id == id; })) continue;
    auto card = site.inventory.find_card(id);
    if (!card) throw Error(ErrorKind::not_found, "card " + id + " is not in the inventory", kListHint);
    if (!exportable(card->state))
      throw Error(ErrorKind::policy,
                  "card " + id + " is " + store::to_string(card->state) + ": its PUK is not exported",
                  "a revoked or retired card is not unblocked; issue the holder a new card (cardctl issue --replace)");
    out.push_back(std::move(*card));
  }
  return out;
}

Puk escrowed_puk(Site& site, const std::string& card_id) {
  try {
    return site.inventory.load_puk(card_id, site.keystore.escrow_key());
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::not_found) throw;
    throw Error(ErrorKind::not_found, "card " + card_id + " has no escrowed PUK",
                "its PUK was not set by cardctl issue; only escrowed PUKs can be exported");
  }
}

Selected with_holder(Site& site, store::CardRecord card) {
  Puk puk = escrowed_puk(site, card.card_id);
  Selected e{std::move(card), "", "", std::move(puk)};
  e.name = e.card.holder_id;
  if (auto h = e.card.holder_id.empty() ? std::nullopt : site.inventory.find_holder(e.card.holder_id)) {
    if (!h->name.empty()) e.name = h->name;
    e.email = h->email;
  }
  return e;
}

std::string path_in(const std::string& dir, const std::string& name) {
  return (!dir.empty() && dir.back() == '/') ? dir + name : dir + "/" + name;
}

PukDelivery delivery(Site& site, const PukExportRequest& request, const Selected& e) {
  const std::string& id = e.card.card_id;
  PukDelivery d{id, e.card.holder_id, "", "", {}};
  const bool to_stdout = request.out == "-";
  switch (request.format) {
    case PukFormat::cms: {
      Bytes cert = request.recipient ? *request.recipient : card_certificate(site, id);
      d.recipient = with_context("card " + id + ": the recipient certificate",
                                 [&] { return crypto::check_cms_recipient(cert); })
                        .subject;
      Bytes der = crypto::cms_encrypt(cert, bytes_of(cms_content(e)));
      if (request.pem) {
        std::string pem = crypto::cms_to_pem(der);
        d.data.assign(pem.begin(), pem.end());
      } else {
        d.data.assign(der.begin(), der.end());
      }
      d.file = path_in(request.out, id + ".p7m");
      break;
    }
    case PukFormat::mailer: {
      auto tpl = site.policy.templates.find(e.card.template_name);
      d.data = bytes_of(mailer_page(e, tpl == site.policy.templates.end() ? 0 : tpl->second.puk.retries));
      d.file = to_stdout ? "-" : path_in(request.out, id + ".txt");
      break;
    }
    case PukFormat::json:
      d.file = to_stdout ? "-" : path_in(request.out, "puks.json");
      break;
  }
  return d;
}

void record(Site& site, const PukExportRequest& request, const PukDelivery& d) {
  std::vector<std::pair<std::string, std::string>> details{{"format", to_string(request.format)}};
  if (request.format == PukFormat::cms) details.emplace_back("recipient", d.recipient);
  site.audit({"", request.operator_name, audit_words::puc, d.card_id, d.holder_id, audit_words::exported, "",
              std::move(details)});
}

Error unrecorded(const std::string& where, const Error& err) {
  return Error(ErrorKind::io, "recording the export in the audit trail failed: " + std::string(err.what()),
               where + "; free some space (or fix the installation) and run the command again");
}

// A file this run wrote, when recording it failed: a PUK in clear must not stay unaudited.
void remove_written(const std::string& path) { std::remove(path.c_str()); }

}  // namespace

const char* to_string(PukFormat format) {
  switch (format) {
    case PukFormat::cms: return "cms";
    case PukFormat::mailer: return "mailer";
    case PukFormat::json: return "json";
  }
  return "json";
}

SecureBytes PukExport::printed() const {
  if (!document.empty()) return document;
  SecureBytes out;
  for (std::size_t i = 0; i < cards.size(); ++i) {
    if (i != 0) out.push_back('\f');
    out.insert(out.end(), cards[i].data.begin(), cards[i].data.end());
  }
  return out;
}

PukExport prepare_puk_export(Site& site, const PukExportRequest& request) {
  std::vector<Selected> selected;
  for (auto& card : selected_cards(site, request)) selected.push_back(with_holder(site, std::move(card)));

  if (request.recipient)
    for (const auto& e : selected)
      if (e.card.holder_id != selected.front().card.holder_id)
        throw Error(ErrorKind::usage, "--recipient would receive the PUKs of several holders (" +
                                          selected.front().card.holder_id + ", " + e.card.holder_id + ")",
                    "export one holder's cards at a time with their certificate (--holder ID --recipient FILE)");

  PukExport out;
  for (const auto& e : selected) out.cards.push_back(delivery(site, request, e));
  if (request.format == PukFormat::json) out.document = json_document(selected);

  if (!request.force)
    for (const auto& d : out.cards)
      if (d.file != "-" && files::exists(d.file))
        throw Error(ErrorKind::conflict, d.file + " already exists", "--force replaces it; nothing was written");
  return out;
}

void write_puk_export(Site& site, const PukExportRequest& request, const PukExport& exported) {
  with_context("creating the output directory " + request.out, [&] { files::make_dirs(request.out, 0700); });
  if (request.format == PukFormat::json) {
    if (exported.cards.empty()) return;
    const std::string& file = exported.cards.front().file;
    files::write_atomic(file, exported.document, 0600);
    for (const auto& d : exported.cards) {
      try {
        record(site, request, d);
      } catch (const Error& err) {
        remove_written(file);
        throw unrecorded(file + " was removed again", err);
      }
    }
    return;
  }
  for (const auto& d : exported.cards) {
    files::write_atomic(d.file, d.data, 0600);
    try {
      record(site, request, d);
    } catch (const Error& err) {
      remove_written(d.file);
      throw unrecorded(d.file + " was removed again", err);
    }
  }
}

void record_puk_export(Site& site, const PukExportRequest& request, const PukExport& exported) {
  for (const auto& d : exported.cards) {
    try {
      record(site, request, d);
    } catch (const Error& err) {
      throw unrecorded("the PUKs were printed", err);
    }
  }
}

}  // namespace cardctl::lifecycle
