#include "output.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <ostream>

#include "cardctl/apdu.hpp"
#include "exit_codes.hpp"

namespace cardctl::cli {

std::string holder_label(const std::string& holder_id, const std::string& name) {
  return name.empty() ? holder_id : holder_id + " (" + name + ")";
}

Fields& Fields::add(std::string label, std::string value, int indent) {
  rows_.push_back({std::move(label), std::move(value), indent});
  return *this;
}

void Fields::print(std::ostream& out) const {
  std::size_t width = 0;
  for (const auto& r : rows_) width = std::max(width, r.label.size() + static_cast<std::size_t>(r.indent) + 1);
  for (const auto& r : rows_) {
    std::string left = std::string(static_cast<std::size_t>(r.indent), ' ') + r.label + ":";
    if (r.value.empty()) {
      out << left << '\n';
    } else {
      out << fmt::format("{:<{}}  {}\n", left, width, r.value);
    }
  }
}

namespace {
constexpr const char* kRed = "\x1b[31m";
constexpr const char* kYellow = "\x1b[33m";
constexpr const char* kReset = "\x1b[0m";

std::string label(const char* name, const char* colour, bool color) {
  return color ? fmt::format("{}{}{}", colour, name, kReset) : std::string(name);
}
}  // namespace

void report_error(std::ostream& err, std::string_view message, std::string_view hint, bool color) {
  err << "cardctl: " << label("error:", kRed, color) << ' ' << message << '\n';
  if (!hint.empty()) err << "cardctl: " << label("hint:", kYellow, color) << ' ' << hint << '\n';
}

std::string hint_for(const Error& e) {
  if (!e.hint().empty()) return e.hint();
  switch (e.kind()) {
    case ErrorKind::usage: return "run the command with --help for its options and examples";
    case ErrorKind::wrong_pin:
    case ErrorKind::auth_failed: return "check it and try again; cardctl status shows the tries left";
    case ErrorKind::blocked: return "cardctl unblock gets a blocked PIN working again; a blocked PUK needs the card issued again";
    case ErrorKind::not_found: return "check the name or path; cardctl readers lists the readers, cardctl list the cards";
    case ErrorKind::security_status:
    case ErrorKind::wrong_data:
    case ErrorKind::unsupported:
    case ErrorKind::card_removed:
    case ErrorKind::transport:
    case ErrorKind::protocol:
      return "check that the card sits in the reader and run the command again; --verbose shows the card's answers";
    case ErrorKind::policy: return "cardctl policy check shows the policy's rules; the system owner can change them";
    case ErrorKind::conflict: return "another cardctl may be at work on it: try again in a moment";
    case ErrorKind::io: return "check the path, its permissions and the free space, then run the command again";
    case ErrorKind::partial: return "run the same command again: what is done is skipped";
    case ErrorKind::crypto:
    case ErrorKind::internal: break;
  }
  return "this is a bug in cardctl; please report it with the output of --verbose";
}

void report_error(std::ostream& err, const Error& e, bool verbose, bool color) {
  report_error(err, e.what(), hint_for(e), color);
  if (!verbose) return;
  err << "cardctl: detail: kind " << to_string(e.kind()) << '\n';
  if (e.status_word()) err << "cardctl: detail: status word " << apdu::describe_sw(*e.status_word()) << '\n';
  if (e.pcsc_code()) {
    err << fmt::format("cardctl: detail: PC/SC code 0x{:08X}\n", static_cast<unsigned long>(*e.pcsc_code()));
  }
  if (e.retries()) err << "cardctl: detail: tries left " << *e.retries() << '\n';
}

Json error_json(const Error& e) {
  Json j = Json::object()
               .set("code", to_string(e.kind()))
               .set("exit", static_cast<int>(exit_code_for(e.kind())))
               .set("message", e.what())
               .set("hint", hint_for(e));
  if (e.retries()) j.set("tries_left", *e.retries());
  return j;
}

}  // namespace cardctl::cli
