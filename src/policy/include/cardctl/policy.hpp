// Layer 7: the policy file (docs/architecture.md#policy), TOML turned into plain validated structs. Every problem names
// the file, the line and the key: "policy.toml:12: templates.staff.pin.min_length: must be 6..8, got 3".
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cardctl/asym.hpp"
#include "cardctl/crypto.hpp"
#include "cardctl/piv_ids.hpp"
#include "cardctl/secret.hpp"

namespace cardctl::policy {

struct PinRules {
  int min_length = 6;
  int max_length = 8;
  bool digits_only = true;
  bool reject_trivial = true;  // runs and repeats: 111111, 123456, 654321, 121212, 123123 ...
  int retries = 3;
  bool operator==(const PinRules&) const = default;
};

struct PukRules {
  int length = 8;
  std::string alphabet = "0123456789";  // distinct printable characters, at least kMinPukAlphabet
  int retries = 3;
  bool operator==(const PukRules&) const = default;
};
inline constexpr std::size_t kMinPukAlphabet = 10;

struct SlotTemplate {
  std::uint8_t slot = 0x9A;
  crypto::KeyAlgorithm algorithm = crypto::KeyAlgorithm::eccp256;
  piv::PinPolicy pin_policy = piv::PinPolicy::default_policy;
  piv::TouchPolicy touch_policy = piv::TouchPolicy::default_policy;
  bool operator==(const SlotTemplate&) const = default;
};

/// How issuance certifies the keys it generates (cardctl-issue(1), CERTIFICATES). Placeholders in subject, email
/// and upn: {name} (or {holder}) the holder's name, {holder_id}, {email}.
struct CertificateRules {
  std::string subject = "CN={name}";
  int days = 365;
  std::string ca_certificate;  // PEM files of a file-based CA; absolute paths. Empty: given on the command line
  std::string ca_key;
  std::vector<std::string> key_usage;           // empty: by slot (9a/9e digitalSignature, 9c + nonRepudiation,
  std::vector<std::string> extended_key_usage;  // 9d keyEncipherment/keyAgreement); EKU empty: by slot
  std::string email;  // subjectAltName rfc822Name, e.g. "{email}"
  std::string upn;    // subjectAltName Microsoft UPN, e.g. "{holder_id}@example.com"
  bool operator==(const CertificateRules&) const = default;
};

/// Fills in the placeholders of a certificate field.
std::string expand_holder_fields(std::string_view text, const std::string& holder_id, const std::string& name,
                                 const std::string& email);

struct CardTemplate {
  std::string name;
  crypto::AdminAlgorithm admin_algorithm = crypto::AdminAlgorithm::aes192;
  bool diversify = true;
  std::string fixed_key;  // keystore fixed key name when !diversify
  PinRules pin;
  PukRules puk;
  std::vector<SlotTemplate> slots;
  CertificateRules certificate;
  bool offline_unblock = true;
  bool admin_pin_reset = true;  // the card supports RESET RETRY COUNTER P1=02 after 9B authentication
  int offline_unblock_days = 0;  // offline unblock refused once the card is older than this many days; 0 never
  bool operator==(const CardTemplate&) const = default;
};

struct Question {
  std::string id;
  std::string text;
  bool operator==(const Question&) const = default;
};

struct HelpdeskRules {
  std::vector<Question> questions;
  int questions_asked = 2;        // how many the operator asks
  int questions_enrolled = 3;     // how many a holder must enrol
  int lockout_after_failures = 3; // failed identifications before offline unblock is locked for the holder
  int unblocks_per_period = 3;    // responses per card per period
  int period_days = 30;
  bool allow_unknown_cards = false;
  bool rotate_disclosed_puk = true;  // a PUK disclosed by the helpdesk is replaced when the card next comes in
  bool in_person_over_limit = true;  // `unblock --in-person` even when the offline-unblock limit is used up
  bool operator==(const HelpdeskRules&) const = default;
};

/// Who may run what (cardctl-operator(1)): each role lists the commands its operators may run. The commands that
/// check a role are the ones that open the installation; `*` means all of them. Without a [roles] table the
/// defaults are: system_owner *, issuer issue retire puc-export puc-rotate list show, helpdesk respond puc
/// puc-rotate in-person holder revoke list show, auditor audit list show.
struct Roles {
  std::map<std::string, std::vector<std::string>> commands;  // role -> commands
  bool allows(const std::string& role, std::string_view command) const;
  bool has(const std::string& role) const { return commands.count(role) != 0; }
};
/// The commands a role may name: init (key rotation and import) issue retire revoke respond puc puc-export
/// puc-rotate in-person holder operator policy audit list show so-unblock.
const std::vector<std::string>& role_commands();
Roles default_roles();

/// A template that names a fixed admin key. The policy is read before the keystore is opened, so these are
/// checked against it later (check_fixed_keys).
struct FixedKeyReference {
  std::string template_name;
  std::string key_name;
  crypto::AdminAlgorithm algorithm = crypto::AdminAlgorithm::aes192;  // the template's: the key must have it
  int line = 0;
};

struct Policy {
  std::string source;
  std::map<std::string, CardTemplate> templates;
  HelpdeskRules helpdesk;
  Roles roles = default_roles();
  /// Error(policy) "no card template 'x' in FILE" listing the templates there.
  const CardTemplate& card_template(const std::string& name) const;
  std::vector<FixedKeyReference> fixed_key_references;  // in file order
};

struct Diagnostic {
  std::string source;
  int line = 0;
  std::string key;
  std::string message;
  std::string to_string() const;  // "file:line: key: message"
};

/// Parses and validates; throws Error(policy) with the first problem (file, line, key) and, in the hint,
/// how many more there are.
Policy parse_policy(std::string_view text, const std::string& source);
Policy load_policy(const std::string& path);
/// Every problem in the file (empty = valid), for `cardctl policy check`.
std::vector<Diagnostic> check_policy(const std::string& path);
std::vector<Diagnostic> check_policy_text(std::string_view text, const std::string& source);

/// The problems of the policy's fixed-key references given the keystore's fixed keys (name -> algorithm):
/// "policy.toml:14: templates.legacy.admin_key.fixed: no fixed admin key 'old-ca' in the keystore".
std::vector<Diagnostic> check_fixed_keys(const Policy& policy,
                                         const std::map<std::string, crypto::AdminAlgorithm>& keystore_keys);

/// Error(usage) naming the rule the new PIN breaks; never echoes the PIN.
void check_new_pin(const PinRules& rules, const Pin& pin);
/// A random PUK following the rules (rejection sampling: no modulo bias). Error(usage) for rules no policy
/// file could hold (length outside 1..8, an alphabet puk_alphabet_problem() refuses).
Puk generate_puk(const PukRules& rules, const crypto::RandomSource& random);
/// Why a PUK alphabet is unusable ("lists 'A' twice ..."), or "" when it is fine.
std::string puk_alphabet_problem(std::string_view alphabet);

}  // namespace cardctl::policy
