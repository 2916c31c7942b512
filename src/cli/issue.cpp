#include "issue.hpp"

#include <CLI/CLI.hpp>
#include <fstream>

#include "card.hpp"
#include "cardctl/error.hpp"
#include "cardctl/files.hpp"
#include "cardctl/issue.hpp"
#include "issue_batch.hpp"
#include "json.hpp"
#include "output.hpp"

namespace cardctl::cli {

void setup_issue(CLI::App& app, Context& ctx) {
  auto options = std::make_shared<IssueOptions>();
  auto* sub = app.add_subcommand("issue", "Personalise a card from a template and register it in the inventory");
  add_card_options(*sub, ctx);
  add_json_option(*sub, ctx);
  add_site_options(*sub, options->site);
  sub->add_option("--template", options->template_name, "The card template from the policy")->type_name("NAME");
  sub->add_option("--holder", options->holder_id, "The holder's id (e.g. the staff number)")->type_name("ID");
  sub->add_option("--name", options->holder_name, "The holder's name, for new holders")->type_name("NAME");
  sub->add_option("--email", options->holder_email, "The holder's e-mail address (for the certificates)")->type_name("ADDR");
  sub->add_option("--answer", options->answer_ids,
                  "Enrol the holder's answer to security question ID (repeat; answers are asked like secrets)")
      ->type_name("ID");
  sub->add_flag("--choose-pin", options->choose_pin, "Ask for the first PIN instead of generating one");
  sub->add_flag("--force", options->force, "Go on even when the card's PIN has only one try left");
  sub->add_flag("--replace", options->replace, "The holder's active card is lost or broken: revoke it and issue this one");
  sub->add_flag("--dry-run", options->dry_run, "Read the card and print every step; change nothing");
  add_secret_file_option(*sub, options->first_pin, "Read the first PIN from FILE (implies --choose-pin)");
  add_secret_file_option(*sub, options->current_pin, "Read the card's current PIN from FILE (default: the factory PIN)");
  sub->add_option("--ca-cert", options->ca.certificate, "The CA certificate (PEM) that certifies the generated keys")
      ->type_name("FILE");
  sub->add_option("--ca-key", options->ca.key, "The CA's private key (PEM, mode 0600; may be encrypted)")->type_name("FILE");
  add_secret_file_option(*sub, options->ca.passphrase, "Read the CA key's passphrase from FILE");
  sub->add_option("--csr-out", options->ca.csr_out, "Write certificate requests to DIR for an outside CA instead")
      ->type_name("DIR");
  sub->add_option("--import-certificates", options->import_dir,
                  "Finish the card in the reader with the certificates the CA returned for its requests, from DIR")
      ->type_name("DIR");
  sub->add_option("--batch", options->batch_file, "Issue a card to every holder listed in FILE (CSV or TOML), on every reader")
      ->type_name("FILE");
  sub->add_option("--readers", options->batch_readers, "With --batch: only the readers whose names contain PATTERN (repeat)")
      ->type_name("PATTERN");
  sub->add_flag("--skip-bad-rows", options->skip_bad_rows, "With --batch: report malformed rows and go on without them");
  sub->add_option("--report", options->report_file, "With --batch: also write the JSON report to FILE")->type_name("FILE");
  sub->footer(
      "The card must be in its factory state (default PIN, PUK and admin key), or half-issued by this installation\n"
      "(it is then started over). The PUK is random and escrowed in the inventory; the first PIN is printed for the\n"
      "holder unless chosen. Each key slot of the template is generated on the card and certified by the CA.\n\n"
      "Examples:\n"
      "  cardctl issue --template staff --holder 1042 --name 'Alice Example' --email alice@example.com \\\n"
      "      --answer first-school --answer first-street --answer first-concert --ca-cert ca.pem --ca-key ca.key\n"
      "  cardctl issue --template staff --holder 1042 --dry-run\n"
      "  cardctl issue --template staff --holder 1042 --replace --answer ...      # a lost card\n"
      "  cardctl issue --template staff --holder 1042 --csr-out csr/ ...; then: cardctl issue --import-certificates certs/\n"
      "  cardctl issue --batch people.csv --ca-cert ca.pem --ca-key ca.key --report report.json");
  sub->callback([options, &ctx] { run_issue(*options, ctx); });
}

namespace {

bool encrypted_pem(const std::string& path) {
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  return text.find("ENCRYPTED") != std::string::npos;
}

}  // namespace

std::optional<crypto::CertificateAuthority> load_ca(const CaOptions& ca, const policy::CardTemplate* tpl, Context& ctx) {
  std::string cert = ca.certificate, key = ca.key;
  if (cert.empty() && key.empty() && tpl != nullptr) {
    cert = tpl->certificate.ca_certificate;
    key = tpl->certificate.ca_key;
  }
  if (cert.empty() != key.empty())
    throw Error(ErrorKind::usage, "--ca-cert and --ca-key go together", "give the CA's certificate and its private key");
  if (cert.empty()) return std::nullopt;
  if (!files::exists(key)) throw Error(ErrorKind::not_found, "the CA key " + key + " does not exist", "check --ca-key");
  if (encrypted_pem(key)) {
    Passphrase given = ctx.secret<Passphrase>(ca.passphrase);
    SecureString passphrase(given.text());
    return crypto::CertificateAuthority::load(cert, key, &passphrase);
  }
  return crypto::CertificateAuthority::load(cert, key, nullptr);
}

void print_issue_result(const lifecycle::IssueResult& result, const std::string& template_name, bool show_pin, Context& ctx) {
  if (ctx.json) {
    Json slots = Json::array();
    for (const auto& s : result.slots) {
      Json j = Json::object().set("slot", to_hex(Bytes{s.slot})).set("algorithm", crypto::name(s.algorithm));
      if (!s.not_after.empty()) j.set("certificate_not_after", s.not_after);
      if (!s.csr_file.empty()) j.set("csr_file", s.csr_file);
      slots.push(std::move(j));
    }
    Json j = Json::object()
                 .set("ok", true)
                 .set("card_id", result.card_id)
                 .set("holder_id", result.holder_id)
                 .set("template", template_name)
                 .set("algorithm", crypto::info(result.algorithm).name)
                 .set("key_version", result.key_version)
                 .set("state", result.awaiting_certificates ? "pending" : "active")
                 .set("found", result.imported ? "awaiting-certificates" : lifecycle::to_string(result.found))
                 .set("slots", std::move(slots));
    if (!result.replaced_card.empty()) j.set("replaced_card", result.replaced_card);
    if (result.awaiting_certificates) j.set("awaiting_certificates", true);
    if (show_pin) j.set("first_pin", std::string(result.pin.text()));
    ctx.emit(j);
    return;
  }
  Fields f;
  f.add("Card", result.card_id).add("Holder", result.holder_id).add("Template", template_name);
  if (result.found == lifecycle::CardKind::pending && !result.imported)
    f.add("Note", "the card was half-issued; it was started over");
  f.add("Admin key", std::string(crypto::info(result.algorithm).display) + ", version " + std::to_string(result.key_version));
  for (const auto& s : result.slots)
    f.add("Slot " + to_hex(Bytes{s.slot}), std::string(crypto::name(s.algorithm)) +
                                               (s.csr_file.empty() ? ", certificate until " + s.not_after
                                                                   : ", request in " + s.csr_file));
  if (!result.replaced_card.empty()) f.add("Replaces", "card " + result.replaced_card + " (revoked)");
  if (result.awaiting_certificates) f.add("State", "pending: import the certificates with cardctl issue --import-certificates DIR");
  if (show_pin) f.add("First PIN", std::string(result.pin.text()));
  f.add("PUK", "escrowed in the inventory");
  f.print(ctx.o());
}

void run_issue(IssueOptions& options, Context& ctx) {
  if (!options.batch_file.empty()) return run_issue_batch(options, ctx);
  auto site = open_site(options.site, ctx, "issue");
  if (!options.import_dir.empty()) {
    auto connection = connect_card(ctx, transport::ShareMode::exclusive);
    piv::PivSession session(*connection, {.hold_transaction = true, .select_on_open = true, .trace = ctx.trace()});
    auto result = with_context("completing the card in " + connection->reader(), [&] {
      return lifecycle::import_certificates(site, session, options.import_dir, options.site.op());
    });
    session.close(transport::Disposition::reset);
    auto card = site.inventory.find_card(result.card_id);
    print_issue_result(result, card ? card->template_name : "", false, ctx);
    return;
  }
  if (options.template_name.empty())
    throw Error(ErrorKind::usage, "--template is required", "name a card template from the policy: --template NAME");
  const auto& tpl = site.policy.card_template(options.template_name);  // a wrong name fails before anything is asked
  lifecycle::IssueRequest req;
  req.template_name = options.template_name;
  req.holder_id = options.holder_id;
  req.holder_name = options.holder_name;
  req.holder_email = options.holder_email;
  req.operator_name = options.site.op();
  req.force = options.force;
  req.replace = options.replace;
  req.dry_run = options.dry_run;
  std::optional<crypto::CertificateAuthority> ca;
  if (!tpl.slots.empty() && options.ca.csr_out.empty()) ca = load_ca(options.ca, &tpl, ctx);
  if (ca) req.certificates.ca = &*ca;
  req.certificates.csr_dir = options.ca.csr_out;
  if (!options.ca.csr_out.empty() && !options.dry_run) files::make_dirs(options.ca.csr_out);
  if (!options.dry_run) {
    for (const auto& id : options.answer_ids) {
      std::string text = id;
      for (const auto& q : site.policy.helpdesk.questions)
        if (q.id == id) text = q.text;
      SecretRequest ask{"answer to \"" + text + "\"", "", std::nullopt, "", false};
      SecureString a = ctx.prompter.read(ask, ctx.no_prompt, [&](std::string_view l) { ctx.debug(l); });
      req.answers.emplace_back(id, std::move(a));
    }
    if (options.choose_pin || options.first_pin.file) req.first_pin = ctx.secret<Pin>(options.first_pin);
    if (options.current_pin.file) req.current_pin = ctx.secret<Pin>(options.current_pin);
  } else {
    req.answers_optional = true;
  }

  auto connection = connect_card(ctx, options.dry_run ? transport::ShareMode::shared : transport::ShareMode::exclusive);
  lifecycle::IssueResult result;
  {
    piv::PivSession session(*connection, {.hold_transaction = true, .select_on_open = true, .trace = ctx.trace()});
    result = with_context("issuing the card in " + connection->reader(),
                          [&] { return lifecycle::issue_card(site, session, std::move(req)); });
    session.close(options.dry_run ? transport::Disposition::leave : transport::Disposition::reset);
  }
  if (options.dry_run) {
    if (ctx.json) {
      Json plan = Json::array();
      for (const auto& s : result.plan) plan.push(Json(s));
      ctx.emit(Json::object()
                     .set("ok", true)
                     .set("dry_run", true)
                     .set("card_id", result.card_id)
                     .set("found", lifecycle::to_string(result.found))
                     .set("plan", std::move(plan)));
    } else {
      ctx.o() << "Card " << result.card_id << " (" << lifecycle::to_string(result.found) << "); the steps, none done:\n";
      int n = 0;
      for (const auto& s : result.plan) ctx.o() << "  " << ++n << ". " << s << '\n';
    }
    return;
  }
  bool show_pin = !options.choose_pin && !options.first_pin.file;
  print_issue_result(result, options.template_name, show_pin, ctx);
  ctx.o().flush();
  if (!ctx.o())
    throw Error(ErrorKind::io, "writing the result failed: the card is issued, but its first PIN may not have been shown",
                "the first PIN stays escrowed in the inventory for card " + result.card_id);
  lifecycle::first_pin_delivered(site, result.card_id);
}

}  // namespace cardctl::cli
