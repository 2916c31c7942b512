// The cardctl executable: the subcommands, listed explicitly (docs/architecture.md#subcommands), and the one
// error translator (docs/architecture.md#error-translator) that maps every failure to a documented exit code
// (cardctl(1), EXIT STATUS).
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <csignal>
#include <exception>
#include <iostream>

#include "cardctl/error.hpp"
#include "cardctl/phase_time.hpp"
#include "context.hpp"
#include "exit_codes.hpp"
#include "output.hpp"
#include "suggest.hpp"
#include "process.hpp"
#include "audit_cmd.hpp"
#include "site_cmd.hpp"
#include "challenge.hpp"
#include "init.hpp"
#include "issue.hpp"
#include "holder_cmd.hpp"
#include "list.hpp"
#include "operator_cmd.hpp"
#include "pin_cmd.hpp"
#include "puc_cmd.hpp"
#include "policy_check.hpp"
#include "puk_cmd.hpp"
#include "readers.hpp"
#include "respond.hpp"
#include "retire.hpp"
#include "revoke.hpp"
#include "show.hpp"
#include "so_token_cmd.hpp"
#include "status.hpp"
#include "unblock.hpp"

namespace cli = cardctl::cli;

namespace {

constexpr const char* kExamples =
    "Examples:\n"
    "  cardctl readers\n"
    "  cardctl status\n"
    "  cardctl status --reader sim:card.sim --json\n"
    "  cardctl status --serial 12345678 --verbose\n"
    "  cardctl init --policy examples/policy.toml\n"
    "  cardctl issue --template staff --holder 1042 --answer first-school --answer first-street\n"
    "  cardctl unblock                              # holder: challenge, response, new PIN\n"
    "  cardctl respond --card 12345678              # helpdesk\n"
    "  cardctl pin verify                           # holder: tries left, then the PIN\n"
    "  cardctl pin change\n"
    "  cardctl puk change\n"
    "  cardctl list --state active\n"
    "  cardctl show 12345678\n"
    "  cardctl revoke 12345678 --reason 'lost'\n\n"
    "Run 'cardctl COMMAND --help' for a command's options, 'man cardctl' for the details.";

std::string footer() {
  return "Secrets are never taken from the command line: see cardctl(1), SECRETS.\n"
         "Exit status: " + cli::exit_code_summary() + ".\n\n" + kExamples;
}

int run(int argc, char** argv, cli::Context& ctx) {
  CLI::App app{"cardctl: look after PIV smart cards, from first issue to offline unblock", "cardctl"};
  app.set_version_flag("--version", "cardctl " CARDCTL_VERSION);
  app.require_subcommand(1);
  app.fallthrough();  // global options may follow the subcommand too
  cli::add_global_options(app, ctx);

  // The subcommands, one file each.
  cli::setup_readers(app, ctx);
  cli::setup_status(app, ctx);
  cli::setup_init(app, ctx);
  cli::setup_policy(app, ctx);
  cli::setup_issue(app, ctx);
  cli::setup_retire(app, ctx);
  cli::setup_challenge(app, ctx);
  cli::setup_respond(app, ctx);
  cli::setup_unblock(app, ctx);
  cli::setup_so_unblock(app, ctx);
  cli::setup_pin(app, ctx);
  cli::setup_puk(app, ctx);
  cli::setup_list(app, ctx);
  cli::setup_show(app, ctx);
  cli::setup_revoke(app, ctx);
  cli::setup_puc(app, ctx);
  cli::setup_holder(app, ctx);
  cli::setup_operator(app, ctx);
  cli::setup_audit(app, ctx);
  cli::setup_site(app, ctx);
  // Set last: a subcommand copies its parent's footer when it is created, and each has its own examples.
  app.footer(footer());

  // --json decides the shape of errors too, even those found before it is parsed.
  ctx.json = cli::argv_has(argc, argv, "--json");
  // Every failure goes through Context::fail: the error and its hint on stderr, with --json its document.
  auto fail = [&ctx](const cardctl::Error& e) {
    ctx.fail(e);
    return ctx.exit_code;
  };
  using cardctl::Error, cardctl::ErrorKind;
  if (auto unknown = cli::unknown_command(app, argc, argv)) return fail(Error(ErrorKind::usage, unknown->message, unknown->hint));
  try {
    app.parse(argc, argv);
    return ctx.exit_code;
  } catch (const CLI::Success& e) {  // --help, --version
    return app.exit(e, ctx.o(), ctx.e());
  } catch (const CLI::ParseError& e) {
    std::string where = "cardctl";
    for (const CLI::App* sub = &app; !sub->get_subcommands().empty();) {
      sub = sub->get_subcommands().front();
      where += " " + sub->get_name();
    }
    return fail(Error(ErrorKind::usage, e.what(), "run '" + where + " --help' for usage"));
  } catch (const Error& e) {
    return fail(e);
  } catch (const std::exception& e) {
    return fail(Error(ErrorKind::internal, std::string("internal error: ") + e.what()));
  } catch (...) {
    return fail(Error(ErrorKind::internal, "internal error"));
  }
}

}  // namespace

int main(int argc, char** argv) {
  // Before anything is opened or read: fds 0-2 open, umask 077, no core dumps (process.hpp).
  try {
    cli::harden_process();
  } catch (const cardctl::Error& e) {
    cli::report_error(std::cerr, e, false, false);
    return static_cast<int>(cli::exit_code_for(e.kind()));
  }
  // A file-size limit must surface as an I/O error (EFBIG) that leaves no partial write, not kill the process.
  std::signal(SIGXFSZ, SIG_IGN);
  cli::Context ctx = cli::Context::standard();
  int code = run(argc, argv, ctx);
  if (const std::size_t n = ctx.apdus->load(); n > 0) ctx.debug(std::to_string(n) + " APDUs exchanged with the card");
  if (auto phases = cardctl::phase_time::totals_ms(); !phases.empty()) {
    std::string line = "time by phase:";
    for (const auto& [name, ms] : phases) line += fmt::format(" {} {:.1f} ms,", name, ms);
    line.pop_back();
    ctx.debug(line);
  }
  std::cout.flush();
  if (!std::cout && code == 0) {  // a command that failed has reported its own error already
    cli::report_error(std::cerr, "writing the output failed", "stdout is closed, or full (disk, pipe)", ctx.color);
    return static_cast<int>(cli::ExitCode::io);
  }
  return code;
}
