#!/usr/bin/env bash
# PUK disclosure at the helpdesk (cardctl-puc(1)): for a card whose template has no admin-key unblock, respond
# points to `puc show`; the same identification, role and limit as respond; the disclosed PUK unblocks the card;
# every disclosure is audited and counted, and a revoked card gets none.
. "$(dirname "$0")/lib.sh"

export CARDCTL_HOME=$T_ROOT/site CARDCTL_PASSPHRASE="test passphrase 1" CARDCTL_OPERATOR=owner
POLICY=$CARDCTL_SOURCE/examples/policy.toml   # yubikey: offline_unblock.allowed = false; 3 unblocks per 30 days
RIGHT=$(secret_file right "first-school: Elm Primary
first-street: Oak Road
first-concert: The Cure")
WRONG=$(secret_file wrong "first-school: nope
first-street: nope
first-concert: nope")
NEWPIN=$(secret_file newpin 482917)

run "$CARDCTL" init --policy "$POLICY" --scrypt-n 1024
assert_exit 0
run "$CARDCTL" operator add desk --role helpdesk
run "$CARDCTL" operator add maker --role issuer
card=$(new_card yk.sim --serial 92001)
run_with_stdin $'Elm Primary\nOak Road\nThe Cure' "$CARDCTL" issue --reader "sim:$card" --template yubikey --holder 1042 \
  --answer first-school --answer first-street --answer first-concert
assert_exit 0
block() { "$CARDSIM" apdu "$1" 0020008008303030303030FFFF 0020008008303030303030FFFF 0020008008303030303030FFFF >/dev/null; }
block "$card"

export CARDCTL_OPERATOR=desk
code=$("$CARDCTL" challenge --reader "sim:$card" --detach --json | jq -r '.challenge + " " + .check')
run "$CARDCTL" respond --card 92001 --challenge "$code" --answers-file "$RIGHT"
assert_exit 6
assert_stderr_contains "offline unblock is not allowed for cards of template 'yubikey'"
assert_stderr_contains "cardctl puc show 92001"

CARDCTL_OPERATOR=maker run "$CARDCTL" puc show 92001 --answers-file "$RIGHT"
assert_exit 6
assert_stderr_contains "operator maker (role issuer) may not run puc"
run "$CARDCTL" puc show 92001 --answers-file "$WRONG"
assert_exit 6
assert_stderr_contains "the caller was not identified"
assert_stdout_not_contains "PUK"
run "$CARDCTL" puc show 99999 --answers-file "$RIGHT"
assert_exit 6
run "$CARDCTL" puc show 92001 --answers-file "$RIGHT" --json
assert_exit 0
assert_json '[.ok, .card_id, .holder_id, .unblocks_left_in_period] | map(tostring) | join(" ")' "true 92001 1042 2"
puk=$(jq -r .puk "$T_CAPTURE/out")
[[ ${#puk} == 8 ]]
_check $? "the disclosed PUK is not 8 characters: '$puk'"
PUKFILE=$(secret_file puk "$puk")
run "$CARDCTL" show 92001 --json --operator owner
assert_json .puk_rotation_due true
# on the holder's own workstation (no installation named) nothing is recorded and the PUK stays
CARDCTL_HOME= run "$CARDCTL" unblock --reader "sim:$card" --puc --puk-file "$PUKFILE" --pin-file "$NEWPIN" --json
assert_exit 0
assert_json '[.ok, .card_id, .recorded, .puk_rotated] | map(tostring) | join(" ")' "true 92001 false false"
block "$card"
# at the helpdesk (CARDCTL_HOME names the installation): recorded, and the disclosed PUK replaced at once
run "$CARDCTL" unblock --reader "sim:$card" --puc --puk-file "$PUKFILE" --pin-file "$NEWPIN" --json
assert_exit 0
assert_json '[.ok, .card_id, .recorded, .puk_rotated] | map(tostring) | join(" ")' "true 92001 true true"
run "$CARDCTL" show 92001 --json --operator owner
assert_json .unblocks.used 1
assert_json .puk_rotation_due false
run "$CARDCTL" audit show --card 92001 --action puc --json --operator owner
assert_json '[.entries[] | .outcome] | map(select(. == "used" or . == "rotated")) | join(" ")' "used rotated"
block "$card"
run "$CARDCTL" unblock --reader "sim:$card" --puc --puk-file "$PUKFILE" --pin-file "$NEWPIN" --force
assert_exit 4   # the old PUK no longer works

# the same limit as respond: two more, then refused
for _ in 1 2; do
  run "$CARDCTL" puc show 92001 --answers-file "$RIGHT"
  assert_exit 0
done
run "$CARDCTL" puc show 92001 --answers-file "$RIGHT"
assert_exit 6
assert_stderr_contains "has had 3 offline unblocks in the last 30 days"
run "$CARDCTL" audit show --card 92001 --action puc --json --operator owner
assert_json '[.entries[] | select(.outcome == "disclosed")] | length' 3
assert_json '[.entries[] | select(.outcome == "refused")] | length' 1   # the limit (a failed identification is an identify entry)

# a revoked card: nothing disclosed
run "$CARDCTL" revoke 92001 --reason lost
assert_exit 0
run "$CARDCTL" puc show 92001 --answers-file "$RIGHT"
assert_exit 6
assert_stderr_contains "is revoked"
run "$CARDCTL" audit verify --json --operator owner
assert_json .ok true

finish
