// The policy schema (docs/architecture.md#policy): card templates and helpdesk rules, read from TOML with every problem
// named by file, line and key.
#include "cardctl/policy.hpp"

#include <algorithm>
#include <set>

#include "cardctl/error.hpp"
#include "cardctl/files.hpp"
#include "cardctl/piv_ids.hpp"
#include "section.hpp"

namespace cardctl::policy {

namespace {

constexpr const char* kDigits = "0123456789";
constexpr const char* kAlnum = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ";  // no I or O: read over the phone

// Template names and question ids appear on the command line, in the inventory and in answers files
// ("id: answer"), so they stay plain.
bool plain_name(std::string_view s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}
constexpr const char* kPlainNameRule = "must be 1 to 64 letters, digits, '-' or '_'";

std::optional<piv::PinPolicy> pin_policy_from(std::string_view s) {
  if (s == "default") return piv::PinPolicy::default_policy;
  if (s == "never") return piv::PinPolicy::never;
  if (s == "once") return piv::PinPolicy::once;
  if (s == "always") return piv::PinPolicy::always;
  return std::nullopt;
}
std::optional<piv::TouchPolicy> touch_policy_from(std::string_view s) {
  if (s == "default") return piv::TouchPolicy::default_policy;
  if (s == "never") return piv::TouchPolicy::never;
  if (s == "always") return piv::TouchPolicy::always;
  if (s == "cached") return piv::TouchPolicy::cached;
  return std::nullopt;
}

constexpr const char* kKeyUsages[] = {"digitalSignature", "nonRepudiation", "keyEncipherment", "dataEncipherment",
                                      "keyAgreement"};
constexpr const char* kExtendedKeyUsages[] = {"clientAuth", "serverAuth", "emailProtection", "codeSigning",
                                              "smartcardLogon"};

bool dotted_oid(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789.") == std::string_view::npos && s.find('.') != std::string_view::npos &&
         s.front() != '.' && s.back() != '.' && s.find("..") == std::string_view::npos;
}

// The placeholders issuance fills in; anything else in braces is a typo.
std::string placeholder_problem(std::string_view text) {
  for (std::size_t at = 0; (at = text.find_first_of("{}", at)) != std::string_view::npos;) {
    std::size_t close = text.find('}', at);
    if (text[at] == '}' || close == std::string_view::npos) return "has an unmatched brace";
    std::string_view name = text.substr(at + 1, close - at - 1);
    if (name != "holder" && name != "name" && name != "holder_id" && name != "email")
      return "has an unknown placeholder {" + std::string(name) + "} (known: {name}, {holder_id}, {email})";
    at = close + 1;
  }
  return "";
}

// "CN={name}, O=Example"
std::string subject_problem(std::string_view subject) {
  if (subject.find('=') == std::string_view::npos) return "must be a distinguished name such as \"CN={name}\"";
  return placeholder_problem(subject);
}

void read_certificate(Section& s, const toml::table& cert, CertificateRules& r) {
  Section c = s.sub(cert, "certificate");
  if (c.text("subject", r.subject))
    if (auto why = subject_problem(r.subject); !why.empty()) c.problem(cert.get("subject"), c.key("subject"), why);
  c.integer("days", r.days, 1, 3650);
  for (auto [k, out] : {std::pair<const char*, std::string*>{"ca_certificate", &r.ca_certificate}, {"ca_key", &r.ca_key}})
    if (c.text(k, *out) && (out->empty() || out->front() != '/'))
      c.problem(cert.get(k), c.key(k), "must be an absolute path (the policy is copied into the installation)");
  if (r.ca_certificate.empty() != r.ca_key.empty())
    c.problem(&cert, c.key(r.ca_key.empty() ? "ca_key" : "ca_certificate"), "is required with the other CA file");
  if (c.strings("key_usage", r.key_usage))
    for (const auto& u : r.key_usage)
      if (std::find(std::begin(kKeyUsages), std::end(kKeyUsages), u) == std::end(kKeyUsages))
        c.problem(cert.get("key_usage"), c.key("key_usage"),
                  "unknown key usage '" + u + "' (known: digitalSignature, nonRepudiation, keyEncipherment, "
                  "dataEncipherment, keyAgreement)");
  if (c.strings("extended_key_usage", r.extended_key_usage))
    for (const auto& u : r.extended_key_usage)
      if (std::find(std::begin(kExtendedKeyUsages), std::end(kExtendedKeyUsages), u) == std::end(kExtendedKeyUsages) &&
          !dotted_oid(u))
        c.problem(cert.get("extended_key_usage"), c.key("extended_key_usage"),
                  "unknown extended key usage '" + u + "' (known: clientAuth, serverAuth, emailProtection, "
                  "codeSigning, smartcardLogon, or a dotted OID)");
  for (auto [k, out] : {std::pair<const char*, std::string*>{"email", &r.email}, {"upn", &r.upn}})
    if (c.text(k, *out))
      if (auto why = placeholder_problem(*out); !why.empty()) c.problem(cert.get(k), c.key(k), why);
  c.finish({"subject", "days", "ca_certificate", "ca_key", "key_usage", "extended_key_usage", "email", "upn"});
}

void read_admin_key(Section& s, const toml::table& ak, CardTemplate& t) {
  Section a = s.sub(ak, "admin_key");
  std::string alg;
  if (a.text("algorithm", alg)) {
    if (auto v = crypto::admin_algorithm_from_name(alg)) t.admin_algorithm = *v;
    else a.problem(ak.get("algorithm"), a.key("algorithm"), "must be tdes, aes128, aes192 or aes256, got '" + alg + "'");
  }
  a.boolean("diversify", t.diversify);
  if (a.text("fixed", t.fixed_key) && t.diversify)
    a.problem(ak.get("fixed"), a.key("fixed"), "set diversify = false to use a fixed key");
  if (!t.diversify && t.fixed_key.empty()) a.problem(&ak, a.key("fixed"), "is required when diversify = false");
  a.finish({"algorithm", "diversify", "fixed"});
}

void read_pin(Section& s, const toml::table& pin, PinRules& r) {
  Section p = s.sub(pin, "pin");
  p.integer("min_length", r.min_length, 6, 8);
  p.integer("max_length", r.max_length, 6, 8);
  p.boolean("digits_only", r.digits_only);
  p.boolean("reject_trivial", r.reject_trivial);
  p.integer("retries", r.retries, 1, 15);
  if (r.min_length > r.max_length) p.problem(&pin, p.key("min_length"), "is greater than max_length");
  p.finish({"min_length", "max_length", "digits_only", "reject_trivial", "retries"});
}

void read_puk(Section& s, const toml::table& puk, PukRules& r) {
  Section p = s.sub(puk, "puk");
  p.integer("length", r.length, 6, 8);
  std::string alphabet;
  if (p.text("alphabet", alphabet)) {
    if (alphabet == "digits") r.alphabet = kDigits;
    else if (alphabet == "alnum") r.alphabet = kAlnum;
    else if (auto why = puk_alphabet_problem(alphabet); why.empty()) r.alphabet = alphabet;
    else p.problem(puk.get("alphabet"), p.key("alphabet"), "must be \"digits\", \"alnum\" or your own characters; this one " + why);
  }
  p.integer("retries", r.retries, 1, 15);
  p.finish({"length", "alphabet", "retries"});
}

void read_slot(Section& p, const toml::table& st, std::set<std::uint8_t>& seen, std::vector<SlotTemplate>& out) {
  SlotTemplate slot;
  std::string v;
  if (p.text("slot", v, true)) {
    if (auto sl = piv::slot_from_name(v)) {
      slot.slot = *sl;
      if (!seen.insert(*sl).second) p.problem(st.get("slot"), p.key("slot"), "slot " + v + " is listed twice");
    } else {
      p.problem(st.get("slot"), p.key("slot"), "must be 9a, 9c, 9d, 9e or 82..95, got '" + v + "'");
    }
  }
  if (p.text("algorithm", v, true)) {
    auto a = crypto::key_algorithm_from_name(v);
    if (a && *a != crypto::KeyAlgorithm::rsa1024) slot.algorithm = *a;
    else p.problem(st.get("algorithm"), p.key("algorithm"), "must be eccp256, eccp384 or rsa2048, got '" + v + "'");
  }
  if (p.text("pin_policy", v)) {
    if (auto pp = pin_policy_from(v)) slot.pin_policy = *pp;
    else p.problem(st.get("pin_policy"), p.key("pin_policy"), "must be default, never, once or always");
  }
  if (p.text("touch_policy", v)) {
    if (auto tp = touch_policy_from(v)) slot.touch_policy = *tp;
    else p.problem(st.get("touch_policy"), p.key("touch_policy"), "must be default, never, always or cached");
  }
  p.finish({"slot", "algorithm", "pin_policy", "touch_policy"});
  out.push_back(slot);
}

CardTemplate read_template(Section s, const std::string& name, std::vector<FixedKeyReference>& fixed_refs) {
  CardTemplate t;
  t.name = name;
  const toml::table* ak = s.table("admin_key");
  if (ak != nullptr) read_admin_key(s, *ak, t);
  if (auto* pin = s.table("pin")) read_pin(s, *pin, t.pin);
  if (auto* puk = s.table("puk")) read_puk(s, *puk, t.puk);
  std::set<std::uint8_t> slots_seen;
  s.each_table("slots", [&](Section& p, const toml::table& st) { read_slot(p, st, slots_seen, t.slots); });
  if (auto* cert = s.table("certificate")) read_certificate(s, *cert, t.certificate);
  const toml::table* ou = s.table("offline_unblock");
  if (ou != nullptr) {
    Section o = s.sub(*ou, "offline_unblock");
    o.boolean("allowed", t.offline_unblock);
    o.boolean("admin_pin_reset", t.admin_pin_reset);
    o.integer("expires_after_days", t.offline_unblock_days, 0, 36500);
    o.finish({"allowed", "admin_pin_reset", "expires_after_days"});
  }
  if (!t.diversify && !t.fixed_key.empty()) {
    int line = static_cast<int>(ak->get("fixed")->source().begin.line);
    fixed_refs.push_back({name, t.fixed_key, t.admin_algorithm, line});
    // The helpdesk derives the card's key from the master key to answer a challenge
    // (docs/architecture.md#offline-unblock).
    if (t.offline_unblock)
      s.problem(ou != nullptr && ou->get("allowed") != nullptr ? ou->get("allowed") : ak, s.key("offline_unblock.allowed"),
                "offline unblock needs a diversified admin key; set offline_unblock.allowed = false for cards with "
                "a fixed key");
  }
  s.finish({"admin_key", "pin", "puk", "slots", "certificate", "offline_unblock"});
  return t;
}

void read_question(Section& q, const toml::table& qt, std::set<std::string>& ids, std::vector<Question>& out) {
  Question question;
  if (q.text("id", question.id, true)) {
    if (!plain_name(question.id)) q.problem(qt.get("id"), q.key("id"), kPlainNameRule);
    else if (!ids.insert(question.id).second)
      q.problem(qt.get("id"), q.key("id"), "duplicate question id '" + question.id + "'");
  }
  if (q.text("text", question.text, true) && question.text.find_first_not_of(" \t") == std::string::npos)
    q.problem(qt.get("text"), q.key("text"), "must not be empty");
  q.finish({"id", "text"});
  out.push_back(question);
}

std::string known_commands() {
  std::string out;
  for (const auto& c : role_commands()) out += (out.empty() ? "" : ", ") + c;
  return out;
}

void read_roles(Section& top, const toml::table& roles, Roles& r) {
  Section s = top.sub(roles, "roles");
  r.commands.clear();
  std::vector<std::string_view> names;
  for (auto&& [k, v] : roles) {
    std::string role(k.str());
    names.push_back(k.str());
    if (!plain_name(role)) {
      s.problem(&v, s.key(role), kPlainNameRule);
      continue;
    }
    std::vector<std::string> cmds;
    if (!s.strings(role, cmds)) continue;
    for (const auto& c : cmds)
      if (c != "*" && std::find(role_commands().begin(), role_commands().end(), c) == role_commands().end())
        s.problem(&v, s.key(role), "unknown command '" + c + "' (known: * or " + known_commands() + ")");
    r.commands[role] = cmds;
  }
  if (!r.has("system_owner"))
    s.problem(&roles, "roles.system_owner", "is required: the system owner registers the operators");
}

void read_helpdesk(Section& top, const toml::table& hd, HelpdeskRules& r) {
  Section h = top.sub(hd, "helpdesk");
  h.integer("questions_asked", r.questions_asked, 0, 10);
  h.integer("questions_enrolled", r.questions_enrolled, 0, 20);
  h.integer("lockout_after_failures", r.lockout_after_failures, 1, 100);
  h.integer("unblocks_per_period", r.unblocks_per_period, 0, 1000);
  h.integer("period_days", r.period_days, 1, 3650);
  h.boolean("allow_unknown_cards", r.allow_unknown_cards);
  h.boolean("rotate_disclosed_puk", r.rotate_disclosed_puk);
  h.boolean("in_person_over_limit", r.in_person_over_limit);
  std::set<std::string> ids;
  h.each_table("questions", [&](Section& q, const toml::table& qt) { read_question(q, qt, ids, r.questions); });
  if (r.questions_enrolled > static_cast<int>(r.questions.size()))
    h.problem(&hd, h.key("questions_enrolled"), "is more than the " + std::to_string(r.questions.size()) + " questions defined");
  if (r.questions_asked > r.questions_enrolled)
    h.problem(&hd, h.key("questions_asked"), "is more than questions_enrolled");
  h.finish({"questions", "questions_asked", "questions_enrolled", "lockout_after_failures", "unblocks_per_period",
            "period_days", "allow_unknown_cards", "rotate_disclosed_puk", "in_person_over_limit"});
}

Policy parse_into(std::string_view text, const std::string& source, std::vector<Diagnostic>& diags) {
  Policy policy;
  policy.source = source;
  toml::table root;
  try {
    root = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    diags.push_back({source, std::max(static_cast<int>(e.source().begin.line), 1), "", std::string(e.description())});
    return policy;
  }
  Section top(root, "", diags, source);
  if (auto* templates = top.table("templates")) {
    for (const auto& [name, node] : *templates) {
      std::string n(name.str());
      if (!plain_name(n)) top.problem(&node, "templates." + n, std::string("a template name ") + kPlainNameRule);
      if (!node.is_table()) {
        top.problem(&node, "templates." + n, "must be a table ([templates." + n + "])");
        continue;
      }
      policy.templates.emplace(n, read_template(top.sub(*node.as_table(), "templates." + n), n, policy.fixed_key_references));
    }
  }
  if (policy.templates.empty()) top.problem(nullptr, "templates", "at least one card template is required");
  if (auto* hd = top.table("helpdesk")) read_helpdesk(top, *hd, policy.helpdesk);
  if (auto* roles = top.table("roles")) read_roles(top, *roles, policy.roles);
  top.finish({"templates", "helpdesk", "roles"});
  std::sort(policy.fixed_key_references.begin(), policy.fixed_key_references.end(),
            [](const FixedKeyReference& a, const FixedKeyReference& b) { return a.line < b.line; });
  return policy;
}

void sort_by_line(std::vector<Diagnostic>& diags) {
  std::stable_sort(diags.begin(), diags.end(), [](const Diagnostic& a, const Diagnostic& b) { return a.line < b.line; });
}

std::string text_of(const std::string& path) {
  Bytes b = files::read(path);
  return std::string(b.begin(), b.end());
}

}  // namespace

std::string Diagnostic::to_string() const {
  std::string out = source + ":" + std::to_string(line) + ": ";
  if (!key.empty()) out += key + ": ";
  return out + message;
}

const CardTemplate& Policy::card_template(const std::string& name) const {
  auto it = templates.find(name);
  if (it == templates.end()) {
    std::string known;
    for (const auto& [n, _] : templates) known += (known.empty() ? "" : ", ") + n;
    throw Error(ErrorKind::policy, "no card template '" + name + "' in " + source, "templates in it: " + known);
  }
  return it->second;
}

std::vector<Diagnostic> check_policy_text(std::string_view text, const std::string& source) {
  std::vector<Diagnostic> diags;
  parse_into(text, source, diags);
  sort_by_line(diags);
  return diags;
}

std::vector<Diagnostic> check_policy(const std::string& path) { return check_policy_text(text_of(path), path); }

Policy parse_policy(std::string_view text, const std::string& source) {
  std::vector<Diagnostic> diags;
  Policy p = parse_into(text, source, diags);
  if (!diags.empty()) {
    sort_by_line(diags);
    std::string hint = "run: cardctl policy check " + source;
    if (diags.size() > 1) hint = std::to_string(diags.size() - 1) + " more problem(s); " + hint;
    throw Error(ErrorKind::policy, diags.front().to_string(), hint);
  }
  return p;
}

Policy load_policy(const std::string& path) {
  try {
    return parse_policy(text_of(path), path);
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::not_found)
      throw Error(ErrorKind::not_found, "no policy file at " + path, "copy examples/policy.toml and adapt it, or pass --policy FILE");
    throw;
  }
}

std::vector<Diagnostic> check_fixed_keys(const Policy& policy,
                                         const std::map<std::string, crypto::AdminAlgorithm>& keystore_keys) {
  std::vector<Diagnostic> diags;
  for (const auto& ref : policy.fixed_key_references) {
    std::string key = "templates." + ref.template_name + ".admin_key.fixed";
    auto it = keystore_keys.find(ref.key_name);
    if (it == keystore_keys.end()) {
      std::string known;
      for (const auto& [n, _] : keystore_keys) known += (known.empty() ? "" : ", ") + n;
      diags.push_back({policy.source, ref.line, key,
                       "no fixed admin key '" + ref.key_name + "' in the keystore (" +
                           (known.empty() ? std::string("it has none") : "it has: " + known) + ")"});
    } else if (it->second != ref.algorithm) {
      diags.push_back({policy.source, ref.line, key,
                       "the fixed key '" + ref.key_name + "' is " + crypto::info(it->second).name +
                           " but the template's admin_key.algorithm is " + crypto::info(ref.algorithm).name});
    }
  }
  return diags;
}

const std::vector<std::string>& role_commands() {
  static const std::vector<std::string> all{"init",   "issue",  "retire", "revoke",   "respond", "puc",
                                            "puc-export", "puc-rotate", "in-person", "holder", "operator",
                                            "policy", "audit",  "list",   "show",     "so-unblock", "site"};
  return all;
}

Roles default_roles() {
  Roles r;
  r.commands["system_owner"] = {"*"};
  r.commands["issuer"] = {"issue", "retire", "puc-export", "puc-rotate", "list", "show"};
  r.commands["helpdesk"] = {"respond", "puc", "puc-rotate", "in-person", "holder", "revoke", "list", "show"};
  r.commands["auditor"] = {"audit", "list", "show"};
  return r;
}

bool Roles::allows(const std::string& role, std::string_view command) const {
  auto it = commands.find(role);
  if (it == commands.end()) return false;
  for (const auto& c : it->second)
    if (c == "*" || c == command) return true;
  return false;
}

std::string expand_holder_fields(std::string_view text, const std::string& holder_id, const std::string& name,
                                 const std::string& email) {
  std::string out;
  for (std::size_t at = 0; at < text.size();) {
    std::size_t open = text.find('{', at);
    std::size_t close = open == std::string_view::npos ? open : text.find('}', open);
    if (close == std::string_view::npos) {
      out.append(text.substr(at));
      break;
    }
    out.append(text.substr(at, open - at));
    std::string_view key = text.substr(open + 1, close - open - 1);
    out += key == "holder_id" ? holder_id : key == "email" ? email : name;
    at = close + 1;
  }
  return out;
}

}  // namespace cardctl::policy
