// cardsim command line: one subcommand per file, like cardctl's (docs/architecture.md#subcommands); errors as
// "cardsim: error: ..." + hint lines.
#include <CLI/CLI.hpp>

#include <iostream>

#include "cardctl/error.hpp"
#include "cardctl/files.hpp"
#include "cardsim.hpp"
#include "delay_profile.hpp"

namespace cardsim {

void say(const std::string& line) { std::cerr << "cardsim: " << line << std::endl; }

void require_card_file(const std::string& file) {
  if (!cardctl::files::exists(file)) {
    throw cardctl::Error(cardctl::ErrorKind::not_found, "no card file " + file,
                         "create one with: cardsim create " + file);
  }
}

}  // namespace cardsim

// cardsim(1): 0 success, 1 failure, 2 usage.
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

int main(int argc, char** argv) {
  using namespace cardsim;
  CLI::App app{"cardsim - software PIV reference cards for tests, demos and training"};
  app.require_subcommand(1);
  app.footer(
      "Examples:\n"
      "  cardsim create card.sim --serial 12345678\n"
      "  cardsim serve --control /tmp/cardsim.sock card0.sim card1.sim\n"
      "  cardsim serve --profile yubikey5 card.sim\n"
      "  cardsim ctl /tmp/cardsim.sock remove 1\n"
      "  cardsim fault card.sim --vanish-after 5\n");

  CreateOptions create;
  auto* c = app.add_subcommand("create", "write a card in its factory state (PIN 123456, PUK 12345678, default 9B key)");
  c->add_option("FILE", create.file, "card state file")->required();
  c->add_option("--serial", create.serial, "serial number reported by GET SERIAL (0 = none, the card id is the CHUID GUID)");
  c->add_option("--admin-alg", create.admin_alg, "management key (9B) algorithm: tdes, aes128, aes192, aes256")
      ->capture_default_str();
  c->add_flag("--no-admin-pin-reset", create.no_admin_pin_reset,
              "the card refuses RESET RETRY COUNTER with P1=02 after admin authentication (like a plain YubiKey)");
  c->add_option("--version", create.version, "firmware version reported by GET VERSION")->capture_default_str();
  c->add_flag("--force", create.force, "overwrite an existing file");

  ServeOptions serve;
  auto* s = app.add_subcommand("serve", "present cards to pcscd through vpcd: card i connects to PORT+i");
  s->add_option("FILE", serve.files, "card state files (saved after every APDU)")->required();
  s->add_option("--host", serve.host, "vpcd host")->capture_default_str();
  s->add_option("--port", serve.port, "vpcd port of the first card")->capture_default_str();
  s->add_option("--control", serve.control,
                "unix socket accepting 'remove N', 'insert N', 'swap N SERIAL', 'vanish-after N K', 'status' (see `cardsim ctl`)");
  const std::string profiles = profile_list();
  s->add_option("--profile", serve.profile,
                "answer as slowly as a real card (" + profiles +
                    "): a delay per APDU, per key generation and per private-key operation, by algorithm "
                    "(docs/architecture.md#reference-card)")
      ->capture_default_str()
      ->check(CLI::Validator(
          [](std::string& name) {
            try {
              profile(name);
              return std::string();
            } catch (const cardctl::Error& e) {
              return std::string(e.what());
            }
          },
          "{" + profiles + "}"));
  s->add_option("--apdu-delay-ms", serve.apdu_delay_ms, "delay before each response (replaces the profile's figure)");
  s->add_option("--keygen-delay-ms", serve.keygen_delay_ms,
                "extra delay for a GENERATE ASYMMETRIC KEY PAIR, any algorithm (replaces the profile's figures)");
  s->add_option("--sign-delay-ms", serve.sign_delay_ms,
                "extra delay for a GENERAL AUTHENTICATE with a private key, any algorithm (replaces the profile's "
                "figures)");
  s->add_flag("-v,--verbose", serve.verbose, "log control bytes and APDU headers (never APDU data)");

  FaultOptions fault;
  auto* f = app.add_subcommand("fault", "set or clear fault injection in a card state file");
  f->add_option("FILE", fault.file, "card state file")->required();
  auto* va = f->add_option("--vanish-after", fault.vanish_after, "the card vanishes after N more APDUs");
  auto* cl = f->add_flag("--clear", fault.clear, "no fault: a vanished card is back");
  va->excludes(cl);
  cl->excludes(va);

  CtlOptions ctl;
  auto* t = app.add_subcommand("ctl", "send one command to a running `cardsim serve --control SOCKET`");
  t->add_option("SOCKET", ctl.socket, "control socket")->required();
  t->add_option("COMMAND", ctl.words, "remove N | insert N | swap N SERIAL (a new factory card) | vanish-after N K | status")->required();

  ApduOptions apdu;
  auto* a = app.add_subcommand("apdu", "send raw APDUs (hex) to a card state file and print the answers");
  a->add_option("FILE", apdu.file, "card state file")->required();
  a->add_option("APDU", apdu.apdus, "command APDUs in hex, sent in order")->required();
  a->add_flag("--reset", apdu.reset, "reset the card afterwards (ends the session) instead of leaving it");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help prints and exits 0; any other parse error is a usage error.
    return app.exit(e) == 0 ? 0 : kExitUsage;
  }

  try {
    if (c->parsed()) return run_create(create);
    if (a->parsed()) return run_apdu(apdu);
    if (s->parsed()) return run_serve(serve);
    if (f->parsed()) {
      if (!fault.vanish_after && !fault.clear) {
        say("error: fault needs --vanish-after N or --clear");
        return kExitUsage;
      }
      return run_fault(fault);
    }
    if (t->parsed()) return run_ctl(ctl);
  } catch (const cardctl::Error& e) {
    say(std::string("error: ") + e.what());
    if (!e.hint().empty()) say("hint: " + e.hint());
    return e.kind() == cardctl::ErrorKind::usage ? kExitUsage : kExitFailure;
  } catch (const std::exception& e) {
    say(std::string("error: ") + e.what());
    return kExitFailure;
  }
  return 0;
}
