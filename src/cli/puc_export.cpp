#include "puc_export.hpp"

#include <CLI/CLI.hpp>
#include <ostream>

#include "cardctl/error.hpp"
#include "cardctl/files.hpp"
#include "cardctl/puk_delivery.hpp"
#include "cardctl/x509.hpp"
#include "json.hpp"

namespace cardctl::cli {

namespace {

// The certificate of --recipient: PEM (the first CERTIFICATE block) or DER.
Bytes read_recipient_file(const std::string& path) {
  Bytes raw = with_context("reading the recipient certificate " + path, [&] { return files::read(path); });
  if (!raw.empty() && raw.front() == 0x30) return raw;
  return with_context("the recipient certificate " + path, [&] {
    return crypto::pem_to_der(std::string_view(reinterpret_cast<const char*>(raw.data()), raw.size()));
  });
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

lifecycle::PukExportRequest request_of(const PucExportOptions& o) {
  lifecycle::PukExportRequest r;
  r.cards = o.cards;
  r.holder = o.holder;
  for (auto f : {lifecycle::PukFormat::cms, lifecycle::PukFormat::mailer, lifecycle::PukFormat::json})
    if (o.format == lifecycle::to_string(f)) r.format = f;  // --format is checked against these names
  r.out = o.out;
  if (o.recipient) r.recipient = read_recipient_file(*o.recipient);
  r.pem = o.pem;
  r.force = o.force;
  r.operator_name = o.site.op();
  return r;
}

}  // namespace

void run_puc_export(const PucExportOptions& options, Context& ctx) {
  check_options(options, ctx);
  auto site = open_site(options.site, ctx, "puc-export");
  const auto request = request_of(options);
  const auto exported = lifecycle::prepare_puk_export(site, request);

  if (request.out == "-") {  // printed and flushed before anything is recorded
    const SecureBytes text = exported.printed();
    ctx.o().write(reinterpret_cast<const char*>(text.data()), static_cast<std::streamsize>(text.size()));
    ctx.o().flush();
    if (!ctx.o())
      throw Error(ErrorKind::io, "the PUKs could not be written out (output closed or disk full)",
                  "nothing was recorded as exported; run the command again with a working output");
    lifecycle::record_puk_export(site, request, exported);
    ctx.note("exported the PUKs of " + std::to_string(exported.cards.size()) + " card(s) (audited as puc exported)");
    return;
  }

  lifecycle::write_puk_export(site, request, exported);
  if (ctx.json) {
    Json list = Json::array();
    for (const auto& d : exported.cards) list.push(Json::object().set("card_id", d.card_id).set("file", d.file));
    ctx.emit(Json::object().set("ok", true).set("exported", std::move(list)));
  } else {
    for (const auto& d : exported.cards) ctx.o() << "Card " << d.card_id << ": " << d.file << '\n';
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
