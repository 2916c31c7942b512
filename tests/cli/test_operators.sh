#!/usr/bin/env bash
# Operators and roles (cardctl-operator(1)): init makes its operator the system owner; the system owner registers
# operators; each command checks the operator's role; an unregistered name, a role without the command, the last
# system owner's removal and an operator added by editing the inventory are refused; every change is audited.
. "$(dirname "$0")/lib.sh"

export CARDCTL_HOME=$T_ROOT/site CARDCTL_PASSPHRASE="test passphrase 1" CARDCTL_OPERATOR=owner
POLICY=$CARDCTL_SOURCE/examples/policy.toml

run "$CARDCTL" init --policy "$POLICY" --scrypt-n 1024
assert_exit 0
run "$CARDCTL" operator list --json
assert_json '[.operators[] | .name + ":" + .role] | join(",")' "owner:system_owner"

card=$(new_card c1.sim --serial 81001)
run_with_stdin $'Elm Primary\nOak Road\nThe Cure' "$CARDCTL" issue --reader "sim:$card" --template yubikey \
  --holder 1042 --answer first-school --answer first-street --answer first-concert
assert_exit 0

run "$CARDCTL" operator add alice --role helpdesk
assert_exit 0
assert_stdout_contains "Operator alice added with role helpdesk"
run "$CARDCTL" operator add alice --role issuer
assert_exit 9
assert_stderr_contains "operator 'alice' is registered already"
run "$CARDCTL" operator add bob --role janitor
assert_exit 2
assert_stderr_contains "the policy has no role 'janitor'"
assert_error_with_hint
run "$CARDCTL" operator add 'two words' --role helpdesk
assert_exit 2

# alice (helpdesk) may list and show, not issue or register operators
CARDCTL_OPERATOR=alice run "$CARDCTL" list --json
assert_exit 0
assert_json '.cards | length' 1
card2=$(new_card c2.sim --serial 81002)
run_with_stdin $'a\nb\nc' env CARDCTL_OPERATOR=alice "$CARDCTL" issue --reader "sim:$card2" --template yubikey \
  --holder 1043 --answer first-school --answer first-street --answer first-concert
assert_exit 6
assert_stderr_contains "operator alice (role helpdesk) may not run issue"
assert_error_with_hint
run "$CARDSIM" apdu "$card2" 00A4040005A000000308 00F7009B00
assert_stdout_contains "050101"   # the refused issue did not touch the card
CARDCTL_OPERATOR=alice run "$CARDCTL" operator add mallory --role system_owner
assert_exit 6
run "$CARDCTL" operator add mallory --role system_owner --operator alice
assert_exit 6
CARDCTL_OPERATOR=alice run "$CARDCTL" audit verify
assert_exit 6
assert_stderr_contains "may not run audit"

# someone not registered
CARDCTL_OPERATOR=mallory run "$CARDCTL" list
assert_exit 6
assert_stderr_contains "'mallory' is not an operator of this installation"
assert_error_with_hint

# an operator added by editing the inventory is refused, and audit verify reports it
sqlite3 "$CARDCTL_HOME/inventory.db" "INSERT INTO operators VALUES ('mallory', 'system_owner', '2026-01-01T00:00:00Z', 'owner', x'00');"
CARDCTL_OPERATOR=mallory run "$CARDCTL" list
assert_exit 8
assert_stderr_contains "the record of operator mallory"
run "$CARDCTL" audit verify --json
assert_json '.ok' false
assert_stdout_contains "operator mallory"
sqlite3 "$CARDCTL_HOME/inventory.db" "DELETE FROM operators WHERE name = 'mallory';"
# deleting every operator does not open the installation to everyone: the trail knows they existed
cp "$CARDCTL_HOME/inventory.db" "$T_ROOT/inventory.keep"
sqlite3 "$CARDCTL_HOME/inventory.db" "DELETE FROM operators;"
CARDCTL_OPERATOR=mallory run "$CARDCTL" list
assert_exit 8
assert_stderr_contains "the operators were deleted from the inventory"
cp "$T_ROOT/inventory.keep" "$CARDCTL_HOME/inventory.db"

# the last system owner stays; a removed operator can do nothing
run "$CARDCTL" operator remove owner
assert_exit 6
assert_stderr_contains "the last system owner"
run "$CARDCTL" operator remove alice --json
assert_exit 0
assert_json .removed alice
CARDCTL_OPERATOR=alice run "$CARDCTL" list
assert_exit 6
run "$CARDCTL" operator remove alice
assert_exit 7

# the trail has every change, and verifies
run "$CARDCTL" audit show --action operator --json
assert_stdout_contains '"outcome": "added"'
assert_stdout_contains '"outcome": "removed"'
run "$CARDCTL" audit verify --json
assert_json .ok true

# roles from the policy: [roles] needs a system owner; an unknown command is named with its line
cat "$POLICY" >"$T_ROOT/roles.toml"
printf '\n[roles]\nsystem_owner = ["*"]\nclerk = ["list", "shwo"]\n' >>"$T_ROOT/roles.toml"
run "$CARDCTL" policy check "$T_ROOT/roles.toml"
assert_exit 6
assert_stdout_contains "roles.clerk: unknown command 'shwo'"
printf '\n[roles]\nclerk = ["list"]\n' | cat "$POLICY" - >"$T_ROOT/noowner.toml"
run "$CARDCTL" policy check "$T_ROOT/noowner.toml"
assert_exit 6
assert_stdout_contains "roles.system_owner: is required"

finish
