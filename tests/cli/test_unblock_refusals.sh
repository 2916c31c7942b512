#!/usr/bin/env bash
# The helpdesk's refusals (exit 6): wrong answers, a 4th unblock in the period (in person instead), a template without
# offline unblock, a card not in the inventory; the same challenge answered again gets the same response, not counted.
. "$(dirname "$0")/lib.sh"
. "$CARDCTL_SOURCE/tests/cli/offline_unblock_setup.sh"

card=$(new_card staff.sim --serial 20005)
issue "$card" staff holder-staff
unblock_offline "$card" 20005   # the policy allows 3 unblocks in the period: 2 of them
unblock_offline "$card" 20005
block_pin "$card"

run "$CARDCTL" challenge --reader "sim:$card" --detach --json
challenge=$(code_of "$OUT")
run "$CARDCTL" respond --card 20005 --challenge "$challenge" --answers-file "$WRONG"
assert_exit 6
assert_stderr_contains "not identified"
assert_stdout_empty
run "$CARDCTL" respond --card 20005 --challenge "$challenge" --answers-file "$ANSWERS" --json   # 3rd this period
assert_exit 0
assert_json '[.name, .key_version, .repeated, .unblocks_left_in_period] | map(tostring) | join(" ")' \
  "Holder holder-staff 1 false 0"
first_response=$(jq -r .response <<<"$OUT")
# the caller misheard: the same challenge is answered again, the same response, not counted again
run "$CARDCTL" respond --card 20005 --challenge "$challenge" --answers-file "$ANSWERS" --json
assert_exit 0
assert_json '[.repeated, .unblocks_left_in_period, .response == "'"$first_response"'"] | map(tostring) | join(" ")' \
  "true 0 true"
run "$CARDCTL" respond --card 20005 --challenge "$challenge" --answers-file "$ANSWERS"
assert_exit 0
assert_stdout_contains "Holder:                 holder-staff (Holder holder-staff)"
assert_stdout_contains "Key version:            1"
assert_stderr_contains "answered before in the period: not counted again"
run "$CARDCTL" challenge --reader "sim:$card" --detach --json   # a new challenge is a 4th unblock
challenge=$(code_of "$OUT")
run "$CARDCTL" respond --card 20005 --challenge "$challenge" --answers-file "$ANSWERS"
assert_exit 6
assert_stderr_contains "the policy allows 3"
assert_stderr_contains "in person"

card=$(new_card yubikey.sim --serial 30003)
issue "$card" yubikey holder-yk
run "$CARDCTL" challenge --reader "sim:$card" --detach --json
run "$CARDCTL" respond --card 30003 --challenge "$(code_of "$OUT")" --answers-file "$ANSWERS"
assert_exit 6
assert_stderr_contains "offline unblock is not allowed"
run "$CARDCTL" respond --card 99999999 --challenge "0000 0000 0000 0000" --answers-file "$ANSWERS"
assert_exit 6
assert_stderr_contains "not in the inventory"

finish
