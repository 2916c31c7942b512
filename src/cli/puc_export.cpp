#include "puc_export.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <ostream>

#include "cardctl/cms.hpp"
#include "cardctl/error.hpp"
#include "cardctl/files.hpp"
#include "cardctl/ledger.hpp"
#include "cardctl/piv_ids.hpp"
#include "cardctl/x509.hpp"
#include "json.hpp"

namespace cardctl::cli {

namespace {

const char* const kListHint = "cardctl list shows the cards in the inventory";

// One card whose PUK is exported.
struct Export {
  store::CardRecord card;
  std::string name;   // the holder's name; their id when they have none
  std::string email;
  Puk puk;
  std::string recipient;  // cms: the certificate's subject
  std::string file;       // where it goes ("-": stdout)
  SecureBytes data;       // what is written there (one file per card); the CMS message is not secret but fits
};

SecureString& operator<<(SecureString& s, std::string_view text) {
  s.append(text.data(), text.size());
  return s;
}

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

// A JSON string literal of a secret, built in wiped memory (RFC 8259 section 7).
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

std::string holder_line(const Export& e) {
  if (e.card.holder_id.empty()) return "(none)";
  return e.name == e.card.holder_id ? e.card.holder_id : e.name + " (" + e.card.holder_id + ")";
}

// What the CMS message holds: short text the holder's mail client or `openssl cms -decrypt` shows.
SecureString cms_content(const Export& e) {
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
SecureString mailer_page(const Export& e, int puk_retries) {
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

SecureBytes bytes_of(const SecureString& s) { return SecureBytes(s.begin(), s.end()); }

// The certificate of --recipient: PEM (the first CERTIFICATE block) or DER.
Bytes read_recipient_file(const std::string& path) {
  Bytes raw = with_context("reading the recipient certificate " + path, [&] { return files::read(path); });
  if (!raw.empty() && raw.front() == 0x30) return raw;
  return with_context("the recipient certificate " + path, [&] {
    return crypto::pem_to_der(std::string_view(reinterpret_cast<const char*>(raw.data()), raw.size()));
  });
}

// The card's own certificate from the inventory: the key management key's (9D, in SP 800-73-4 the key for
// key establishment) first, else the PIV authentication key's (9A).
Bytes card_certificate(lifecycle::Site& site, const std::string& card_id) {
  auto certs = site.inventory.certificates(card_id);
  for (std::uint8_t slot : {piv::keyref::key_management, piv::keyref::authentication})
    for (const auto& c : certs)
      if (c.slot == slot) return c.der;
  throw Error(ErrorKind::not_found, "card " + card_id + " has no certificate in the inventory (slot 9d or 9a)",
              "give the holder's encryption certificate with --recipient FILE, or deliver the PUK with --format mailer");
}

std::vector<store::CardRecord> selected_cards(lifecycle::Site& site, const PucExportOptions& options) {
  std::vector<store::CardRecord> out;
  if (!options.holder.empty()) {
    if (!site.inventory.find_holder(options.holder))
      throw Error(ErrorKind::not_found, "holder " + options.holder + " is not in the inventory",
                  "cardctl list shows the holders of the cards");
    for (auto& c : site.inventory.cards_of_holder(options.holder))
      if (c.state == store::CardState::active || c.state == store::CardState::pending) out.push_back(std::move(c));
    if (out.empty())
      throw Error(ErrorKind::policy, "holder " + options.holder + " has no active or pending card",
                  "a revoked or retired card's PUK is not exported; cardctl list --holder " + options.holder +
                      " shows their cards");
    return out;
  }
  for (const auto& id : options.cards) {
    if (std::any_of(out.begin(), out.end(), [&](const store::CardRecord& c) { return c.card_id == id; })) continue;
    auto card = site.inventory.find_card(id);
    if (!card) throw Error(ErrorKind::not_found, "card " + id + " is not in the inventory", kListHint);
    if (card->state != store::CardState::active && card->state != store::CardState::pending)
      throw Error(ErrorKind::policy,
                  "card " + id + " is " + store::to_string(card->state) + ": its PUK is not exported",
                  "a revoked or retired card is not unblocked; issue the holder a new card (cardctl issue --replace)");
    out.push_back(std::move(*card));
  }
  return out;
}

Puk escrowed_puk(lifecycle::Site& site, const std::string& card_id) {
  try {
    return site.inventory.load_puk(card_id, site.keystore.escrow_key());
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::not_found) throw;
    throw Error(ErrorKind::not_found, "card " + card_id + " has no escrowed PUK",
                "its PUK was not set by cardctl issue; only escrowed PUKs can be exported");
  }
}

void check_options(const PucExportOptions& o, const Context& ctx) {
  if (o.cards.empty() && o.holder.empty())
    throw Error(ErrorKind::usage, "no card given", "name the cards (cardctl puc export 12345678 ...) or --holder ID");
  if (o.format != "cms" && (o.recipient || o.pem))
    throw Error(ErrorKind::usage, std::string(o.recipient ? "--recipient" : "--pem") + " is for --format cms only",
                "leave it out, or use --format cms");
  if (o.out == "-" && o.format == "cms")
    throw Error(ErrorKind::usage, "--format cms writes one file per card: --out - is for mailer and json only",
                "give a directory: --out DIR");
  if (o.out == "-" && ctx.json)
    throw Error(ErrorKind::usage, "--json and --out - would both write to stdout",
                "write the PUKs to a directory (--out DIR), or leave out --json");
  if (o.out.empty())
    throw Error(ErrorKind::usage, "--out is empty", "give a directory (created 0700 when missing), or - for stdout");
}

std::string path_in(const std::string& dir, const std::string& name) {
  return (!dir.empty() && dir.back() == '/') ? dir + name : dir + "/" + name;
}

// Removes a file this run wrote, when recording it failed: a PUK in clear must not stay unaudited.
void remove_written(const std::string& path) { std::remove(path.c_str()); }

}  // namespace

void run_puc_export(const PucExportOptions& options, Context& ctx) {
  check_options(options, ctx);
  auto site = open_site(options.site, ctx, "puc-export");
  const std::string op = options.site.op();

  // Everything is checked, every PUK read and every message encrypted before anything is written.
  std::vector<Export> exports;
  for (auto& card : selected_cards(site, options)) {
    Puk puk = escrowed_puk(site, card.card_id);
    Export e{std::move(card), "", "", std::move(puk), "", "", {}};
    e.name = e.card.holder_id;
    if (auto h = e.card.holder_id.empty() ? std::nullopt : site.inventory.find_holder(e.card.holder_id)) {
      if (!h->name.empty()) e.name = h->name;
      e.email = h->email;
    }
    exports.push_back(std::move(e));
  }

  std::optional<Bytes> recipient;
  if (options.recipient) {
    for (const auto& e : exports)
      if (e.card.holder_id != exports.front().card.holder_id)
        throw Error(ErrorKind::usage, "--recipient would receive the PUKs of several holders (" +
                                          exports.front().card.holder_id + ", " + e.card.holder_id + ")",
                    "export one holder's cards at a time with their certificate (--holder ID --recipient FILE)");
    recipient = read_recipient_file(*options.recipient);
  }

  for (auto& e : exports) {
    const std::string& id = e.card.card_id;
    if (options.format == "cms") {
      Bytes cert = recipient ? *recipient : card_certificate(site, id);
      auto who = with_context("card " + id + ": the recipient certificate",
                              [&] { return crypto::check_cms_recipient(cert); });
      e.recipient = who.subject;
      SecureString content = cms_content(e);
      Bytes der = crypto::cms_encrypt(cert, bytes_of(content));
      if (options.pem) {
        std::string pem = crypto::cms_to_pem(der);
        e.data.assign(pem.begin(), pem.end());
      } else {
        e.data.assign(der.begin(), der.end());
      }
      e.file = path_in(options.out, id + ".p7m");
    } else if (options.format == "mailer") {
      auto tpl = site.policy.templates.find(e.card.template_name);
      e.data = bytes_of(mailer_page(e, tpl == site.policy.templates.end() ? 0 : tpl->second.puk.retries));
      e.file = options.out == "-" ? "-" : path_in(options.out, id + ".txt");
    } else {
      e.file = options.out == "-" ? "-" : path_in(options.out, "puks.json");
    }
  }

  // The json format: one document for all the cards.
  SecureBytes document;
  if (options.format == "json") {
    SecureString s;
    s << "[";
    for (std::size_t i = 0; i < exports.size(); ++i) {
      const auto& e = exports[i];
      s << (i == 0 ? "\n" : ",\n") << "  {\n"
        << "    \"card_id\": " << json_quote(e.card.card_id) << ",\n"
        << "    \"holder_id\": " << json_quote(e.card.holder_id) << ",\n"
        << "    \"name\": " << json_quote(e.name) << ",\n"
        << "    \"email\": " << json_quote(e.email) << ",\n"
        << "    \"puk\": ";
      append_json_string(s, e.puk.text());
      s << "\n  }";
    }
    s << (exports.empty() ? "]\n" : "\n]\n");
    document = bytes_of(s);
  }

  // Existing files are kept unless --force.
  std::vector<std::string> targets;
  for (const auto& e : exports)
    if (e.file != "-" && std::find(targets.begin(), targets.end(), e.file) == targets.end()) targets.push_back(e.file);
  if (!options.force)
    for (const auto& f : targets)
      if (files::exists(f))
        throw Error(ErrorKind::conflict, f + " already exists", "--force replaces it; nothing was written");
  if (options.out != "-")
    with_context("creating the output directory " + options.out, [&] { files::make_dirs(options.out, 0700); });

  auto record = [&](const Export& e) {
    site.audit({"", op, lifecycle::audit_words::puc, e.card.card_id, e.card.holder_id, lifecycle::audit_words::exported,
                "", options.format == "cms" ? std::vector<std::pair<std::string, std::string>>{
                                                  {"format", options.format}, {"recipient", e.recipient}}
                                            : std::vector<std::pair<std::string, std::string>>{
                                                  {"format", options.format}}});
  };
  auto unrecorded = [](const std::string& where, const Error& err) {
    return Error(ErrorKind::io, "recording the export in the audit trail failed: " + std::string(err.what()),
                 where + "; free some space (or fix the installation) and run the command again");
  };

  if (options.out == "-") {
    // Stdout: the pages (a form feed between them) or the document, flushed before anything is recorded.
    if (options.format == "json") {
      ctx.o().write(reinterpret_cast<const char*>(document.data()), static_cast<std::streamsize>(document.size()));
    } else {
      for (std::size_t i = 0; i < exports.size(); ++i) {
        if (i != 0) ctx.o() << '\f';
        ctx.o().write(reinterpret_cast<const char*>(exports[i].data.data()),
                      static_cast<std::streamsize>(exports[i].data.size()));
      }
    }
    ctx.o().flush();
    if (!ctx.o())
      throw Error(ErrorKind::io, "the PUKs could not be written out (output closed or disk full)",
                  "nothing was recorded as exported; run the command again with a working output");
    for (const auto& e : exports) {
      try {
        record(e);
      } catch (const Error& err) {
        throw unrecorded("the PUKs were printed", err);
      }
    }
    ctx.note("exported the PUKs of " + std::to_string(exports.size()) + " card(s) (audited as puc exported)");
    return;
  }

  if (options.format == "json") {
    files::write_atomic(targets.front(), document, 0600);
    for (const auto& e : exports) {
      try {
        record(e);
      } catch (const Error& err) {
        remove_written(targets.front());
        throw unrecorded(targets.front() + " was removed again", err);
      }
    }
  } else {
    // One file per card, each recorded once written: an interrupted run leaves only recorded files.
    for (const auto& e : exports) {
      files::write_atomic(e.file, e.data, 0600);
      try {
        record(e);
      } catch (const Error& err) {
        remove_written(e.file);
        throw unrecorded(e.file + " was removed again", err);
      }
    }
  }

  if (ctx.json) {
    Json list = Json::array();
    for (const auto& e : exports) list.push(Json::object().set("card_id", e.card.card_id).set("file", e.file));
    ctx.emit(Json::object().set("ok", true).set("exported", std::move(list)));
  } else {
    for (const auto& e : exports) ctx.o() << "Card " << e.card.card_id << ": " << e.file << '\n';
  }
}

void setup_puc_export(CLI::App& puc, Context& ctx) {
  auto options = std::make_shared<PucExportOptions>();
  auto* sub = puc.add_subcommand("export", "Deliver escrowed PUKs to their holders: encrypted (CMS), PIN mailers, or JSON");
  add_site_options(*sub, options->site);
  add_json_option(*sub, ctx);
  auto* cards = sub->add_option("card", options->cards, "The cards whose PUKs are exported")->type_name("CARD");
  auto* holder = sub->add_option("--holder", options->holder, "Every active or pending card of holder ID")
                     ->type_name("ID");
  cards->excludes(holder);
  sub->add_option("--format", options->format, "cms (encrypted to the holder's certificate), mailer or json")
      ->required()
      ->check(CLI::IsMember({"cms", "mailer", "json"}))
      ->type_name("FORMAT");
  sub->add_option("--out", options->out, "The directory to write to (created 0700 if missing); - for stdout "
                                         "(mailer and json)")
      ->required()
      ->type_name("DIR");
  sub->add_option("--recipient", options->recipient,
                  "cms: encrypt to this certificate (PEM) instead of the card's own (slot 9d, else 9a)")
      ->type_name("FILE");
  sub->add_flag("--pem", options->pem, "cms: write PEM (-----BEGIN CMS-----) instead of DER");
  sub->add_flag("--force", options->force, "Replace existing files");
  sub->footer(
      "Only active or pending cards with an escrowed PUK. cms writes DIR/CARD.p7m (EnvelopedData, AES-256-CBC) for\n"
      "the holder's certificate; mailer writes a printable page DIR/CARD.txt (pages separated by form feeds on\n"
      "stdout); json writes DIR/puks.json. Files are written 0600; existing ones only with --force. Each card is\n"
      "audited as 'puc' 'exported' (never the PUK); an export is not counted against the offline-unblock limit.\n\n"
      "Examples:\n"
      "  cardctl puc export 12345678 --format cms --out /srv/puk-out\n"
      "  cardctl puc export --holder 1042 --format cms --recipient alice-9d.pem --out out --pem\n"
      "  cardctl puc export 12345678 12345679 --format mailer --out - | lp\n"
      "  cardctl puc export --holder 1042 --format json --out out --json");
  sub->callback([options, &ctx] { run_puc_export(*options, ctx); });
}

}  // namespace cardctl::cli
