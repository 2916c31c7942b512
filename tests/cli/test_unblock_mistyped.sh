#!/usr/bin/env bash
# Mistyped challenges are caught by the check (exit 2), with the fix suggested: one wrong digit, two swapped digits;
# a challenge of one AES card given for another is named as such.
. "$(dirname "$0")/lib.sh"
. "$CARDCTL_SOURCE/tests/cli/offline_unblock_setup.sh"

card=$(new_card staff.sim --serial 20005)
issue "$card" staff holder-staff
issue "$(new_card other-staff.sim --serial 30001)" staff holder-other   # another AES card
block_pin "$card"

run "$CARDCTL" challenge --reader "sim:$card" --detach --json
good=$(jq -r '.challenge' <<<"$OUT")
check=$(jq -r '.check' <<<"$OUT")
digits=${good// /}
first=${digits:0:1}
[[ $first == A ]] && other=B || other=A
run "$CARDCTL" respond --card 20005 --challenge "$other${digits:1} $check" --answers-file "$ANSWERS"
assert_exit 2
assert_stderr_contains "check does not match"
assert_stderr_contains "digit 1: $other -> $first"
i=0
while [[ ${digits:$i:1} == "${digits:$((i + 1)):1}" ]]; do i=$((i + 1)); done
swapped=${digits:0:$i}${digits:$((i + 1)):1}${digits:$i:1}${digits:$((i + 2))}
run "$CARDCTL" respond --card 20005 --challenge "$swapped $check" --answers-file "$ANSWERS"
assert_exit 2
assert_stderr_contains "digits $((i + 1))-$((i + 2)) swapped"
run "$CARDCTL" respond --card 30001 --challenge "$good $check" --answers-file "$ANSWERS"   # another AES card
assert_exit 2
assert_stderr_contains "another card"

finish
