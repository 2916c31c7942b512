#!/usr/bin/env bash
# Holder records at the helpdesk (cardctl-holder(1)): show, a lockout after failed identifications cleared with a
# reason (audited; the count starts again), answers re-enrolled (the old ones stop working), and the roles that
# may do it.
. "$(dirname "$0")/lib.sh"

export CARDCTL_HOME=$T_ROOT/site CARDCTL_PASSPHRASE="test passphrase 1" CARDCTL_OPERATOR=owner
POLICY=$CARDCTL_SOURCE/examples/policy.toml   # lockout after 3 failed identifications, 2 questions asked
RIGHT=$(secret_file right "first-school: Elm Primary
first-street: Oak Road
first-concert: The Cure")
WRONG=$(secret_file wrong "first-school: nope
first-street: nope
first-concert: nope")
NEW=$(secret_file new "first-school: Hill School
first-street: Main Street
first-concert: Blur")

run "$CARDCTL" init --policy "$POLICY" --scrypt-n 1024
assert_exit 0
run "$CARDCTL" operator add desk --role helpdesk
assert_exit 0
run "$CARDCTL" operator add maker --role issuer
assert_exit 0
card=$(new_card c.sim --serial 91001)
run_with_stdin $'Elm Primary\nOak Road\nThe Cure' "$CARDCTL" issue --reader "sim:$card" --template staff --holder 1042 \
  --name 'Alice Example' --email alice@example.com --answer first-school --answer first-street --answer first-concert "${CA[@]}"
assert_exit 0
"$CARDSIM" apdu "$card" 0020008008303030303030FFFF 0020008008303030303030FFFF 0020008008303030303030FFFF >/dev/null
code=$("$CARDCTL" challenge --reader "sim:$card" --detach --json | jq -r '.challenge + " " + .check')

export CARDCTL_OPERATOR=desk
run "$CARDCTL" holder show 1042 --json
assert_json '[.name, .email, (.cards | map(.card_id) | join(",")), (.enrolled_questions | length), .locked_out] | map(tostring) | join(" ")' \
  "Alice Example alice@example.com 91001 3 false"
for _ in 1 2 3; do
  run "$CARDCTL" respond --card 91001 --challenge "$code" --answers-file "$WRONG"
  assert_exit 6
done
run "$CARDCTL" respond --card 91001 --challenge "$code" --answers-file "$RIGHT"
assert_exit 6
assert_stderr_contains "locked out"
run "$CARDCTL" holder show 1042
assert_stdout_contains "3 failed of 3: locked out"

# clearing needs a reason and the role
run "$CARDCTL" holder clear-lockout 1042
assert_exit 2
run "$CARDCTL" holder clear-lockout 1042 --reason '   '
assert_exit 2
assert_stderr_contains "a reason is required"
CARDCTL_OPERATOR=maker run "$CARDCTL" holder clear-lockout 1042 --reason 'in person'
assert_exit 6
assert_stderr_contains "operator maker (role issuer) may not run holder"
run "$CARDCTL" holder clear-lockout nobody --reason 'x'
assert_exit 7
run "$CARDCTL" holder clear-lockout 1042 --reason 'identified in person, ticket 4711' --json
assert_exit 0
assert_json .cleared true
run "$CARDCTL" holder show 1042 --json
assert_json '[.identification_failures, .locked_out] | map(tostring) | join(" ")' "0 false"
run "$CARDCTL" holder clear-lockout 1042 --reason 'again'
assert_exit 6
run "$CARDCTL" audit show --action identify --json --operator owner
assert_stdout_contains '"outcome": "cleared"'
assert_stdout_contains 'identified in person, ticket 4711'

# re-enrolled answers: the new ones identify the caller, the old ones no longer do
run_with_stdin $'Hill School\nMain Street\nBlur' "$CARDCTL" holder answers 1042 --answer first-school --answer first-street \
  --answer first-concert --json
assert_exit 0
assert_json .answers 3
run_with_stdin $'a\nb' "$CARDCTL" holder answers 1042 --answer first-school --answer first-street
assert_exit 6
assert_stderr_contains "the policy wants 3 security answers per holder, got 2"
run "$CARDCTL" respond --card 91001 --challenge "$code" --answers-file "$RIGHT"
assert_exit 6
assert_stderr_contains "the caller was not identified"
run "$CARDCTL" respond --card 91001 --challenge "$code" --answers-file "$NEW" --json
assert_exit 0
assert_json '.response | length > 0' true
run "$CARDCTL" audit show --action holder --json --operator owner
assert_stdout_contains '"outcome": "answers-enrolled"'
run "$CARDCTL" audit verify --json --operator owner
assert_json .ok true

finish
