#!/usr/bin/env bash
# A wrong response (one that answers an earlier challenge, its check intact) is refused with exit 4 and named as
# such; the PIN stays blocked and the challenge is used up: its right response then comes too late (exit 4).
. "$(dirname "$0")/lib.sh"
. "$CARDCTL_SOURCE/tests/cli/offline_unblock_setup.sh"

card=$(new_card staff.sim --serial 20005)
issue "$card" staff holder-staff
unblock_offline "$card" 20005   # a whole detached unblock: its response answers an earlier challenge from now on
old_response=$FLOW_RESPONSE

block_pin "$card"
run "$CARDCTL" challenge --reader "sim:$card" --detach --json
challenge=$(code_of "$OUT")
run "$CARDCTL" unblock --reader "sim:$card" --response "$old_response" --pin-file "$PIN"   # an old response
assert_exit 4
assert_stderr_contains "rejected a response that was read out correctly (its check matched): it answers another challenge"
[[ $(pin_left "$card") == 0 ]]
_check $? "a wrong response changed the PIN counter"
run "$CARDCTL" respond --card 20005 --challenge "$challenge" --answers-file "$ANSWERS" --json
assert_exit 0
run "$CARDCTL" unblock --reader "sim:$card" --response "$(code_of "$OUT")" --pin-file "$PIN"
assert_exit 4
assert_stderr_contains "no longer holds the challenge"

finish
