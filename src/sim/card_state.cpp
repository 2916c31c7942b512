#include "card_state.hpp"

#include <sstream>
#include <toml++/toml.h>

#include "cardctl/error.hpp"
#include "cardctl/piv_ids.hpp"

namespace cardctl::sim {

SecureBytes padded(std::string_view value) {
  SecureBytes out(8, 0xFF);
  for (std::size_t i = 0; i < value.size() && i < 8; ++i) out[i] = static_cast<std::uint8_t>(value[i]);
  return out;
}

CardState CardState::factory(const CardOptions& options) {
  CardState s;
  s.options = options;
  s.pin = {padded(piv::factory::pin), piv::factory::pin_retries, piv::factory::pin_retries, true};
  s.puk = {padded(piv::factory::puk), piv::factory::puk_retries, piv::factory::puk_retries, true};
  s.admin_algorithm = options.management_algorithm;
  std::size_t len = crypto::info(options.management_algorithm).key_length;
  s.admin_key.assign(piv::factory::management_key.begin(), piv::factory::management_key.end());
  s.admin_key.resize(len, 0);
  if (len == 32)  // AES-256 has no documented default; extend the pattern
    for (std::size_t i = 24; i < 32; ++i) s.admin_key[i] = static_cast<std::uint8_t>(i - 23);
  if (len == 16) s.admin_key.resize(16);
  // Discovery object as a YubiKey ships it (SP 800-73-4 Part 1, Discovery Object).
  s.objects[piv::object::discovery] = from_hex("7E124F0BA0000003080000100001005F2F024000");
  return s;
}

namespace {
std::string hex_of(ByteView b) { return to_hex(b); }

const char* selected_name(Selected s) {
  return s == Selected::piv ? "piv" : s == Selected::yubico_mgmt ? "yubico-mgmt" : "none";
}
const char* pending_name(Pending p) {
  return p == Pending::challenge ? "challenge" : p == Pending::witness ? "witness" : "none";
}

toml::table reference_table(const Reference& r) {
  return toml::table{{"value", hex_of(r.value)}, {"max", r.max}, {"left", r.left}, {"default", r.is_default}};
}

[[noreturn]] void bad(const std::string& source, const std::string& what) {
  throw Error(ErrorKind::io, "the reference card file " + source + " is damaged: " + what,
              "create a new card with: cardsim create FILE");
}

template <class T>
T need(const toml::node_view<const toml::node>& n, const std::string& source, const char* key) {
  auto v = n.value<T>();
  if (!v) bad(source, std::string("missing or wrong ") + key);
  return *v;
}

Reference reference_from(const toml::node_view<const toml::node>& n, const std::string& source, const char* name) {
  Reference r;
  r.value = to_secure(from_hex(need<std::string>(n["value"], source, name)));
  if (r.value.size() != 8) bad(source, std::string(name) + " value is not 8 bytes");
  auto max = need<std::int64_t>(n["max"], source, name), left = need<std::int64_t>(n["left"], source, name);
  // A YubiKey takes 1 to 255 tries (SET PIN RETRIES); a counter outside 0..max is an edited file.
  if (max < 1 || max > 255 || left < 0 || left > max)
    bad(source, std::string(name) + " retry counter out of range (" + std::to_string(left) + " of " + std::to_string(max) + ")");
  r.max = static_cast<int>(max);
  r.left = static_cast<int>(left);
  r.is_default = n["default"].value_or(false);
  return r;
}
}  // namespace

std::string CardState::to_toml() const {
  toml::table card{{"serial", static_cast<std::int64_t>(options.serial)},
                   {"version", std::to_string(options.version_major) + "." + std::to_string(options.version_minor) +
                                   "." + std::to_string(options.version_patch)},
                   {"admin_pin_reset", options.admin_pin_reset}};
  toml::table keys;
  for (const auto& [slot, k] : this->keys) {
    keys.insert(to_hex(Bytes{slot}),
                toml::table{{"algorithm", crypto::name(k.algorithm)},
                            {"pin_policy", k.pin_policy},
                            {"touch_policy", k.touch_policy},
                            {"origin", k.origin},
                            {"private_key", hex_of(k.private_der)}});
  }
  toml::table objects;
  for (const auto& [id, content] : this->objects) {
    char name[16];
    std::snprintf(name, sizeof name, "%x", id);
    objects.insert(name, hex_of(content));
  }
  toml::table session_t{{"selected", selected_name(session.selected)},
                        {"pin_verified", session.pin_verified},
                        {"admin_authenticated", session.admin_authenticated},
                        {"pending", pending_name(session.pending)},
                        {"pending_value", hex_of(session.pending_value)},
                        {"chain", hex_of(session.chain)},
                        {"chain_ins", session.chain_ins},
                        {"response", hex_of(session.response)}};
  toml::table fault{{"vanished", vanished}};
  if (vanish_after) fault.insert("vanish_after", static_cast<std::int64_t>(*vanish_after));
  toml::table root{{"format", 1},
                   {"card", card},
                   {"pin", reference_table(pin)},
                   {"puk", reference_table(puk)},
                   {"management",
                    toml::table{{"algorithm", crypto::info(admin_algorithm).name},
                                {"key", hex_of(admin_key)},
                                {"default", admin_key_default},
                                {"touch", admin_touch}}},
                   {"keys", keys},
                   {"objects", objects},
                   {"session", session_t},
                   {"fault", fault}};
  std::ostringstream out;
  out << "# cardctl reference PIV card (test card: holds its secrets in clear; keep it 0600)\n" << root << "\n";
  return out.str();
}

CardState CardState::from_toml(std::string_view text, const std::string& source) {
  toml::table parsed;
  try {
    parsed = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    bad(source, std::string(e.description()));
  }
  const toml::table& root = parsed;
  try {
    if (root["format"].value_or(0) != 1) bad(source, "unknown format");
    CardState s;
    auto card = root["card"];
    s.options.serial = static_cast<std::uint32_t>(need<std::int64_t>(card["serial"], source, "card.serial"));
    std::string version = need<std::string>(card["version"], source, "card.version");
    if (std::sscanf(version.c_str(), "%d.%d.%d", &s.options.version_major, &s.options.version_minor,
                    &s.options.version_patch) != 3)
      bad(source, "card.version");
    s.options.admin_pin_reset = card["admin_pin_reset"].value_or(false);
    s.pin = reference_from(root["pin"], source, "pin");
    s.puk = reference_from(root["puk"], source, "puk");
    auto mgmt = root["management"];
    auto alg = crypto::admin_algorithm_from_name(need<std::string>(mgmt["algorithm"], source, "management.algorithm"));
    if (!alg) bad(source, "management.algorithm");
    s.admin_algorithm = *alg;
    s.options.management_algorithm = *alg;
    s.admin_key = to_secure(from_hex(need<std::string>(mgmt["key"], source, "management.key")));
    if (s.admin_key.size() != crypto::info(*alg).key_length) bad(source, "management.key length");
    s.admin_key_default = mgmt["default"].value_or(false);
    s.admin_touch = static_cast<std::uint8_t>(mgmt["touch"].value_or(1));
    if (auto* keys = root["keys"].as_table()) {
      for (const auto& [slot_name, node] : *keys) {
        Bytes slot = from_hex(slot_name.str());
        auto k = toml::node_view<const toml::node>(node);
        auto ka = crypto::key_algorithm_from_name(need<std::string>(k["algorithm"], source, "keys.algorithm"));
        if (slot.size() != 1 || !ka) bad(source, "keys." + std::string(slot_name.str()));
        SlotKey key;
        key.algorithm = *ka;
        key.pin_policy = static_cast<std::uint8_t>(k["pin_policy"].value_or(0));
        key.touch_policy = static_cast<std::uint8_t>(k["touch_policy"].value_or(0));
        key.origin = static_cast<std::uint8_t>(k["origin"].value_or(kOriginGenerated));
        key.private_der = to_secure(from_hex(need<std::string>(k["private_key"], source, "keys.private_key")));
        s.keys[slot[0]] = std::move(key);
      }
    }
    if (auto* objects = root["objects"].as_table()) {
      for (const auto& [id, node] : *objects) {
        auto v = node.value<std::string>();
        if (!v) bad(source, "objects." + std::string(id.str()));
        s.objects[static_cast<std::uint32_t>(std::stoul(std::string(id.str()), nullptr, 16))] = from_hex(*v);
      }
    }
    auto sess = root["session"];
    std::string sel = sess["selected"].value_or("piv");
    s.session.selected = sel == "piv" ? Selected::piv : sel == "yubico-mgmt" ? Selected::yubico_mgmt : Selected::none;
    s.session.pin_verified = sess["pin_verified"].value_or(false);
    s.session.admin_authenticated = sess["admin_authenticated"].value_or(false);
    std::string pending = sess["pending"].value_or("none");
    s.session.pending = pending == "challenge" ? Pending::challenge
                        : pending == "witness" ? Pending::witness
                                               : Pending::none;
    s.session.pending_value = to_secure(from_hex(sess["pending_value"].value_or("")));
    s.session.chain = secure_from_hex(sess["chain"].value_or(""));
    s.session.chain_ins = static_cast<std::uint8_t>(sess["chain_ins"].value_or(0));
    s.session.response = from_hex(sess["response"].value_or(""));
    s.vanished = root["fault"]["vanished"].value_or(false);
    if (auto v = root["fault"]["vanish_after"].value<std::int64_t>()) s.vanish_after = static_cast<std::uint64_t>(*v);
    return s;
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::io) throw;
    bad(source, e.what());
  } catch (const std::exception& e) {
    bad(source, e.what());
  }
}

}  // namespace cardctl::sim
