#include "cardctl/policy.hpp"

#include <algorithm>
#include <set>
#include <toml++/toml.h>

#include "cardctl/error.hpp"
#include "cardctl/files.hpp"
#include "cardctl/piv.hpp"

namespace cardctl::policy {

namespace {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// Reads one TOML table, remembering which keys were used, so that unknown ones can be reported.
class Section {
 public:
  Section(const toml::table& t, std::string path, std::vector<Diagnostic>& diags, const std::string& source)
      : t_(t), path_(std::move(path)), diags_(diags), source_(source) {}

  void problem(const toml::node* at, const std::string& key, const std::string& msg) const {
    int line = at != nullptr ? static_cast<int>(at->source().begin.line) : static_cast<int>(t_.source().begin.line);
    diags_.push_back({source_, line, key, msg});
  }
  std::string key(std::string_view k) const { return path_.empty() ? std::string(k) : path_ + "." + std::string(k); }

  const toml::node* get(std::string_view k) {
    used_.insert(std::string(k));
    return t_.get(k);
  }

  template <class T>
  void read(std::string_view k, T& out, const char* type_name) {
    const toml::node* n = get(k);
    if (n == nullptr) return;
    auto v = n->value<T>();
    if (!v) return problem(n, key(k), std::string("must be ") + type_name);
    out = *v;
  }
  void integer(std::string_view k, int& out, int lo, int hi) {
    const toml::node* n = get(k);
    if (n == nullptr) return;
    auto v = n->value<std::int64_t>();
    if (!v || !n->is_integer()) return problem(n, key(k), "must be a whole number");
    if (*v < lo || *v > hi)
      return problem(n, key(k), "must be between " + std::to_string(lo) + " and " + std::to_string(hi) + ", got " +
                                    std::to_string(*v));
    out = static_cast<int>(*v);
  }
  void boolean(std::string_view k, bool& out) {
    const toml::node* n = get(k);
    if (n == nullptr) return;
    if (!n->is_boolean()) return problem(n, key(k), "must be true or false");
    out = *n->value<bool>();
  }
  bool text(std::string_view k, std::string& out, bool required = false) {
    const toml::node* n = get(k);
    if (n == nullptr) {
      if (required) problem(nullptr, key(k), "is required");
      return false;
    }
    if (!n->is_string()) {
      problem(n, key(k), "must be a string");
      return false;
    }
    out = *n->value<std::string>();
    return true;
  }
  const toml::table* table(std::string_view k) {
    const toml::node* n = get(k);
    if (n == nullptr) return nullptr;
    if (!n->is_table()) {
      problem(n, key(k), "must be a table");
      return nullptr;
    }
    return n->as_table();
  }
  const toml::array* array(std::string_view k) {
    const toml::node* n = get(k);
    if (n == nullptr) return nullptr;
    if (!n->is_array()) {
      problem(n, key(k), "must be an array of tables ([[" + key(k) + "]])");
      return nullptr;
    }
    return n->as_array();
  }
  Section sub(const toml::table& t, std::string_view k) const { return Section(t, key(k), diags_, source_); }

  // Reports keys that were never asked for, with the nearest known key as a suggestion.
  void finish(std::initializer_list<std::string_view> known) {
    for (const auto& [k, node] : t_) {
      std::string name(k.str());
      if (used_.count(name)) continue;
      std::string msg = "unknown key";
      std::string_view best;
      std::size_t best_d = 3;
      for (auto cand : known) {
        std::size_t d = edit_distance(name, cand);
        if (d < best_d) best_d = d, best = cand;
      }
      if (!best.empty()) msg += " (did you mean '" + std::string(best) + "'?)";
      problem(&node, key(name), msg);
    }
  }

 private:
  const toml::table& t_;
  std::string path_;
  std::vector<Diagnostic>& diags_;
  const std::string& source_;
  std::set<std::string> used_;
};

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

CardTemplate read_template(Section s, const std::string& name) {
  CardTemplate t;
  t.name = name;
  if (auto* ak = s.table("admin_key")) {
    Section a = s.sub(*ak, "admin_key");
    std::string alg = "aes192";
    if (a.text("algorithm", alg)) {
      if (auto v = crypto::admin_algorithm_from_name(alg)) t.admin_algorithm = *v;
      else a.problem(ak->get("algorithm"), a.key("algorithm"), "must be tdes, aes128, aes192 or aes256, got '" + alg + "'");
    }
    a.boolean("diversify", t.diversify);
    if (a.text("fixed", t.fixed_key) && t.diversify)
      a.problem(ak->get("fixed"), a.key("fixed"), "set diversify = false to use a fixed key");
    if (!t.diversify && t.fixed_key.empty()) a.problem(ak, a.key("fixed"), "is required when diversify = false");
    a.finish({"algorithm", "diversify", "fixed"});
  }
  if (auto* pin = s.table("pin")) {
    Section p = s.sub(*pin, "pin");
    p.integer("min_length", t.pin.min_length, 6, 8);
    p.integer("max_length", t.pin.max_length, 6, 8);
    p.boolean("digits_only", t.pin.digits_only);
    p.boolean("reject_trivial", t.pin.reject_trivial);
    p.integer("retries", t.pin.retries, 1, 15);
    if (t.pin.min_length > t.pin.max_length)
      p.problem(pin, p.key("min_length"), "is greater than max_length");
    p.finish({"min_length", "max_length", "digits_only", "reject_trivial", "retries"});
  }
  if (auto* puk = s.table("puk")) {
    Section p = s.sub(*puk, "puk");
    p.integer("length", t.puk.length, 6, 8);
    std::string alphabet;
    if (p.text("alphabet", alphabet)) {
      if (alphabet == "digits") t.puk.alphabet = "0123456789";
      else if (alphabet == "alnum") t.puk.alphabet = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ";
      else if (alphabet.size() >= 10 && std::all_of(alphabet.begin(), alphabet.end(), [](char c) { return c > 0x20 && c < 0x7F; }))
        t.puk.alphabet = alphabet;
      else
        p.problem(puk->get("alphabet"), p.key("alphabet"), "must be \"digits\", \"alnum\" or at least 10 printable ASCII characters");
    }
    p.integer("retries", t.puk.retries, 1, 15);
    p.finish({"length", "alphabet", "retries"});
  }
  if (auto* slots = s.array("slots")) {
    for (std::size_t i = 0; i < slots->size(); ++i) {
      const toml::table* st = (*slots)[i].as_table();
      std::string k = "slots[" + std::to_string(i) + "]";
      if (st == nullptr) {
        s.problem(&(*slots)[i], s.key(k), "must be a table");
        continue;
      }
      Section p = s.sub(*st, k);
      SlotTemplate slot;
      std::string v;
      if (p.text("slot", v, true)) {
        if (auto sl = piv::slot_from_name(v)) slot.slot = *sl;
        else p.problem(st->get("slot"), p.key("slot"), "must be 9a, 9c, 9d, 9e or 82..95, got '" + v + "'");
      }
      if (p.text("algorithm", v, true)) {
        auto a = crypto::key_algorithm_from_name(v);
        if (a && *a != crypto::KeyAlgorithm::rsa1024) slot.algorithm = *a;
        else p.problem(st->get("algorithm"), p.key("algorithm"), "must be eccp256, eccp384 or rsa2048, got '" + v + "'");
      }
      if (p.text("pin_policy", v)) {
        if (auto pp = pin_policy_from(v)) slot.pin_policy = *pp;
        else p.problem(st->get("pin_policy"), p.key("pin_policy"), "must be default, never, once or always");
      }
      if (p.text("touch_policy", v)) {
        if (auto tp = touch_policy_from(v)) slot.touch_policy = *tp;
        else p.problem(st->get("touch_policy"), p.key("touch_policy"), "must be default, never, always or cached");
      }
      p.finish({"slot", "algorithm", "pin_policy", "touch_policy"});
      t.slots.push_back(slot);
    }
  }
  if (auto* cert = s.table("certificate")) {
    Section c = s.sub(*cert, "certificate");
    c.text("subject", t.certificate_subject);
    c.integer("days", t.certificate_days, 1, 3650);
    c.finish({"subject", "days"});
  }
  if (auto* ou = s.table("offline_unblock")) {
    Section o = s.sub(*ou, "offline_unblock");
    o.boolean("allowed", t.offline_unblock);
    o.boolean("admin_pin_reset", t.admin_pin_reset);
    o.finish({"allowed", "admin_pin_reset"});
  }
  s.finish({"admin_key", "pin", "puk", "slots", "certificate", "offline_unblock"});
  return t;
}

Policy parse_into(std::string_view text, const std::string& source, std::vector<Diagnostic>& diags) {
  Policy policy;
  policy.source = source;
  toml::table root;
  try {
    root = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    diags.push_back({source, static_cast<int>(e.source().begin.line), "", std::string(e.description())});
    return policy;
  }
  Section top(root, "", diags, source);
  if (auto* templates = top.table("templates")) {
    for (const auto& [name, node] : *templates) {
      std::string n(name.str());
      if (!node.is_table()) {
        top.problem(&node, "templates." + n, "must be a table ([templates." + n + "])");
        continue;
      }
      policy.templates.emplace(n, read_template(top.sub(*node.as_table(), "templates." + n), n));
    }
  }
  if (policy.templates.empty()) top.problem(nullptr, "templates", "at least one card template is required");
  if (auto* hd = top.table("helpdesk")) {
    Section h = top.sub(*hd, "helpdesk");
    auto& r = policy.helpdesk;
    h.integer("questions_asked", r.questions_asked, 0, 10);
    h.integer("questions_enrolled", r.questions_enrolled, 0, 20);
    h.integer("lockout_after_failures", r.lockout_after_failures, 1, 100);
    h.integer("unblocks_per_period", r.unblocks_per_period, 0, 1000);
    h.integer("period_days", r.period_days, 1, 3650);
    h.boolean("allow_unknown_cards", r.allow_unknown_cards);
    if (auto* qs = h.array("questions")) {
      std::set<std::string> ids;
      for (std::size_t i = 0; i < qs->size(); ++i) {
        const toml::table* qt = (*qs)[i].as_table();
        std::string k = "questions[" + std::to_string(i) + "]";
        if (qt == nullptr) {
          h.problem(&(*qs)[i], h.key(k), "must be a table");
          continue;
        }
        Section q = h.sub(*qt, k);
        Question question;
        q.text("id", question.id, true);
        q.text("text", question.text, true);
        if (!question.id.empty() && !ids.insert(question.id).second)
          q.problem(qt->get("id"), q.key("id"), "duplicate question id '" + question.id + "'");
        q.finish({"id", "text"});
        r.questions.push_back(question);
      }
    }
    if (r.questions_enrolled > static_cast<int>(r.questions.size()))
      h.problem(hd, h.key("questions_enrolled"), "is more than the " + std::to_string(r.questions.size()) + " questions defined");
    if (r.questions_asked > r.questions_enrolled)
      h.problem(hd, h.key("questions_asked"), "is more than questions_enrolled");
    h.finish({"questions", "questions_asked", "questions_enrolled", "lockout_after_failures", "unblocks_per_period",
              "period_days", "allow_unknown_cards"});
  }
  top.finish({"templates", "helpdesk"});
  return policy;
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
  std::stable_sort(diags.begin(), diags.end(), [](const Diagnostic& a, const Diagnostic& b) { return a.line < b.line; });
  return diags;
}

std::vector<Diagnostic> check_policy(const std::string& path) { return check_policy_text(text_of(path), path); }

Policy parse_policy(std::string_view text, const std::string& source) {
  std::vector<Diagnostic> diags;
  Policy p = parse_into(text, source, diags);
  if (!diags.empty()) {
    std::stable_sort(diags.begin(), diags.end(), [](const Diagnostic& a, const Diagnostic& b) { return a.line < b.line; });
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

void check_new_pin(const PinRules& rules, const Pin& pin) {
  std::string_view p = pin.text();
  auto n = static_cast<int>(p.size());
  if (n < rules.min_length || n > rules.max_length)
    throw Error(ErrorKind::usage, "the new PIN must have " + std::to_string(rules.min_length) + " to " +
                                      std::to_string(rules.max_length) + " characters");
  if (!std::all_of(p.begin(), p.end(), [](char c) { return c > 0x20 && c < 0x7F; }))
    throw Error(ErrorKind::usage, "the new PIN may only contain printable ASCII characters");
  if (rules.digits_only && !std::all_of(p.begin(), p.end(), [](char c) { return c >= '0' && c <= '9'; }))
    throw Error(ErrorKind::usage, "the new PIN must contain digits only");
  if (rules.reject_trivial) {
    bool same = std::all_of(p.begin(), p.end(), [&](char c) { return c == p[0]; });
    bool up = true, down = true;
    for (std::size_t i = 1; i < p.size(); ++i) {
      up = up && p[i] == p[i - 1] + 1;
      down = down && p[i] == p[i - 1] - 1;
    }
    if (same || up || down)
      throw Error(ErrorKind::usage, "the new PIN is too easy to guess (repeated or consecutive characters)",
                  "choose a PIN without a simple pattern");
  }
}

Puk generate_puk(const PukRules& rules, const crypto::RandomSource& random) {
  const std::size_t m = rules.alphabet.size();
  const unsigned limit = 256 - 256 % m;  // reject bytes >= limit: uniform over the alphabet
  SecureBytes out;
  std::uint8_t b = 0;
  while (out.size() < static_cast<std::size_t>(rules.length)) {
    random(std::span<std::uint8_t>(&b, 1));
    if (b < limit) out.push_back(static_cast<std::uint8_t>(rules.alphabet[b % m]));
  }
  secure_wipe(&b, 1);
  return Puk(std::move(out));
}

}  // namespace cardctl::policy
