#include "cardctl/operators.hpp"

#include "cardctl/error.hpp"

namespace cardctl::lifecycle {

namespace {
constexpr const char* kOwner = "system_owner";

std::string checked_name(const std::string& name) {
  bool ok = !name.empty() && name.size() <= 64;
  for (unsigned char c : name) ok = ok && c > 0x20 && c != 0x7f;
  if (!ok)
    throw Error(ErrorKind::usage, "an operator name is 1 to 64 printable characters without spaces",
                "use the operator's login name, e.g. cardctl operator add alice --role helpdesk");
  return name;
}
}  // namespace

void authorize(Site& site, const std::string& operator_name, std::string_view command) {
  if (site.inventory.operator_count() == 0) {
    // No operator rows: an installation from before operators, or rows deleted to get around the roles. The
    // verified trail tells which (a row's MAC catches edits, not deletions).
    for (const auto& e : site.verified_audit())
      if (e.action == "operator" && e.outcome == "added")
        throw Error(ErrorKind::io, "the operators were deleted from the inventory " + site.paths.inventory(),
                    "run cardctl audit verify, keep the file as evidence and restore the inventory from your backup");
    return;
  }
  auto op = site.inventory.find_operator(operator_name);
  if (!op)
    throw Error(ErrorKind::policy, "'" + operator_name + "' is not an operator of this installation",
                "give your operator name with --operator or CARDCTL_OPERATOR; the system owner registers operators: "
                "cardctl operator add NAME --role ROLE");
  if (!site.policy.roles.allows(op->role, command))
    throw Error(ErrorKind::policy,
                "operator " + op->name + " (role " + op->role + ") may not run " + std::string(command),
                "the policy's [roles] say which roles may; the system owner can change the role: cardctl operator "
                "remove " + op->name + ", then cardctl operator add " + op->name + " --role ROLE");
}

store::Operator add_operator(Site& site, const std::string& actor, const std::string& name, const std::string& role) {
  checked_name(name);
  if (!site.policy.roles.has(role)) {
    std::string known;
    for (const auto& [r, _] : site.policy.roles.commands) known += (known.empty() ? "" : ", ") + r;
    throw Error(ErrorKind::usage, "the policy has no role '" + role + "'", "roles: " + known);
  }
  store::Operator op{name, role, "", actor};
  site.inventory.with_transaction([&] {
    site.inventory.add_operator(op);
    site.audit({"", actor, "operator", "", "", "added", "", {{"operator", name}, {"role", role}}});
  });
  return *site.inventory.find_operator(name);
}

void remove_operator(Site& site, const std::string& actor, const std::string& name) {
  site.inventory.with_transaction([&] {
    auto op = site.inventory.find_operator(name);
    if (!op) throw Error(ErrorKind::not_found, "no operator '" + name + "' is registered", "cardctl operator list shows them");
    if (op->role == kOwner) {
      int owners = 0;
      for (const auto& o : site.inventory.list_operators()) owners += o.role == kOwner;
      if (owners == 1)
        throw Error(ErrorKind::policy, "operator " + name + " is the last system owner",
                    "register another system owner first: cardctl operator add NAME --role system_owner");
    }
    site.inventory.remove_operator(name);
    site.audit({"", actor, "operator", "", "", "removed", "", {{"operator", name}, {"role", op->role}}});
  });
}

}  // namespace cardctl::lifecycle
