#include "status.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "card.hpp"
#include "cardctl/card_status.hpp"
#include "cardctl/error.hpp"
#include "json.hpp"
#include "output.hpp"

namespace cardctl::cli {

using crypto::CertSummary;
using lifecycle::CardStatus;

namespace {

const char* pin_policy_name(piv::PinPolicy p) {
  switch (p) {
    case piv::PinPolicy::default_policy: return "default";
    case piv::PinPolicy::never: return "never";
    case piv::PinPolicy::once: return "once";
    case piv::PinPolicy::always: return "always";
  }
  return "unknown";
}

const char* touch_policy_name(piv::TouchPolicy p) {
  switch (p) {
    case piv::TouchPolicy::default_policy: return "default";
    case piv::TouchPolicy::never: return "never";
    case piv::TouchPolicy::always: return "always";
    case piv::TouchPolicy::cached: return "cached";
  }
  return "unknown";
}

std::string slot_id(std::uint8_t slot) { return fmt::format("{:02x}", slot); }

Json retries_json(const piv::RetryInfo& r) {
  return Json::object()
      .set("remaining", r.remaining >= 0 ? Json(r.remaining) : Json())
      .set("total", r.total)
      .set("blocked", r.remaining == 0)
      .set("default", r.is_default);
}

Json status_json(const CardStatus& st) {
  Json slots = Json::array();
  for (const auto& s : st.slots) {
    Json key;
    if (s.key) {
      key = Json::object()
                .set("algorithm", crypto::name(s.key->algorithm))
                .set("pin_policy", pin_policy_name(s.key->pin_policy))
                .set("touch_policy", touch_policy_name(s.key->touch_policy))
                .set("origin", s.key->generated_on_card ? "generated" : "imported");
    }
    Json cert;
    if (s.certificate) {
      cert = Json::object()
                 .set("parsed", s.certificate->parsed)
                 .set("subject_cn", s.certificate->subject_cn)
                 .set("not_after", s.certificate->not_after);
    }
    slots.push(Json::object()
                   .set("slot", slot_id(s.slot))
                   .set("name", piv::slot_name(s.slot))
                   .set("key", std::move(key))
                   .set("certificate", std::move(cert)));
  }
  return Json::object()
      .set("reader", st.reader)
      .set("card_id", st.card_id)
      .set("serial", st.serial)
      .set("version", st.version)
      .set("pin", retries_json(st.pin))
      .set("puk", retries_json(st.puk))
      .set("management_key", Json::object()
                                 .set("algorithm", crypto::info(st.management.algorithm).name)
                                 .set("default", st.management.is_default))
      .set("chuid_guid", st.chuid_guid)
      .set("slots", std::move(slots));
}

std::string retries_text(const piv::RetryInfo& r) {
  std::string text;
  if (r.remaining < 0) {
    text = "tries left unknown (the card cannot tell without spending one)";
  } else if (r.remaining == 0) {
    text = "blocked";
  } else if (r.total) {
    text = fmt::format("{} of {} tries left", r.remaining, *r.total);
  } else {
    text = fmt::format("{} tries left", r.remaining);
  }
  if (r.is_default.value_or(false)) text += ", factory default";
  return text;
}

std::string management_text(const piv::ManagementKeyInfo& m) {
  std::string text = crypto::info(m.algorithm).display;
  if (!m.is_default) return text + ", default unknown (the card has no metadata)";
  return text + (*m.is_default ? ", factory default" : ", not the factory default");
}

std::string key_text(const piv::SlotInfo& k) {
  return fmt::format("{}, {}, PIN policy {}, touch policy {}", crypto::name(k.algorithm),
                     k.generated_on_card ? "generated on the card" : "imported", pin_policy_name(k.pin_policy),
                     touch_policy_name(k.touch_policy));
}

std::string cert_text(const CertSummary& c) {
  if (!c.parsed) return "present, not a readable X.509 certificate";
  std::string text = c.subject_cn ? "CN=" + *c.subject_cn : std::string("no subject CN");
  if (c.not_after) text += ", expires " + *c.not_after;
  return text;
}

void print_status(std::ostream& out, const CardStatus& st) {
  Fields f;
  f.add("Reader", st.reader)
      .add("Card ID", st.card_id.value_or("none (no serial and no CHUID)"))
      .add("Serial", st.serial ? std::to_string(*st.serial) : "none")
      .add("Version", st.version.value_or("unknown"))
      .add("PIN", retries_text(st.pin))
      .add("PUK", retries_text(st.puk))
      .add("Management key", management_text(st.management))
      .add("CHUID GUID", st.chuid_guid.value_or("none"));
  if (st.slots.empty()) f.add("Slots", "no keys, no certificates");
  for (const auto& s : st.slots) {
    f.add(fmt::format("Slot {} ({})", slot_id(s.slot), piv::slot_name(s.slot)), "");
    f.add("Key", s.key ? key_text(*s.key) : "none, or the card cannot tell", 2);
    f.add("Certificate", s.certificate ? cert_text(*s.certificate) : "none", 2);
  }
  f.print(out);
}

}  // namespace

void setup_status(CLI::App& app, Context& ctx) {
  auto options = std::make_shared<StatusOptions>();
  auto* sub = app.add_subcommand("status", "Show a card: identity, PIN and PUK tries left, management key, slots");
  add_card_options(*sub, ctx);
  add_json_option(*sub, ctx);
  sub->add_flag("--all-slots", options->all_slots,
                "also read the retired slots 82-95 when the key history object counts no key in them (a key put "
                "there by a tool that keeps no key history)");
  sub->footer(
      "Reads only: no PIN or PUK try is spent.\n\n"
      "Examples:\n"
      "  cardctl status\n"
      "  cardctl status --reader Yubico --json\n"
      "  cardctl status --serial 12345678\n"
      "  cardctl status --all-slots\n"
      "  cardctl status --reader sim:card.sim");
  sub->callback([options, &ctx] { run_status(*options, ctx); });
}

void run_status(const StatusOptions& options, Context& ctx) {
  auto connection = connect_card(ctx, transport::ShareMode::shared);
  CardStatus st;
  {
    piv::PivSession session(*connection, {.hold_transaction = true, .select_on_open = true, .trace = ctx.trace()});
    st = with_context("reading the card in " + connection->reader(), [&] { return lifecycle::read_card_status(session, options.all_slots); });
    session.close(transport::Disposition::leave);
  }
  if (ctx.json) {
    ctx.emit(status_json(st));
  } else {
    print_status(ctx.o(), st);
  }
}

}  // namespace cardctl::cli
