// Layer 9: operators and roles (cardctl-operator(1)). The policy's [roles] say which commands each role may run;
// the system owner registers operators with a role; every command that opens the installation names its
// operator (--operator, CARDCTL_OPERATOR or the login name), checks the role, and the audit records the name.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "cardctl/site.hpp"

namespace cardctl::lifecycle {

/// Error(policy) unless operator_name may run command: a registered operator whose role allows it. An
/// installation with no operator registered (made before operators existed) lets everyone run everything until
/// the system owner registers the first one.
void authorize(Site& site, const std::string& operator_name, std::string_view command);

/// Registers name with role (one the policy defines), audited as "operator added". Error(conflict) when registered.
store::Operator add_operator(Site& site, const std::string& actor, const std::string& name, const std::string& role);
/// Removes name, audited as "operator removed". The last system owner cannot be removed.
void remove_operator(Site& site, const std::string& actor, const std::string& name);

}  // namespace cardctl::lifecycle
