#!/usr/bin/env bash
# A card removed between challenge and unblock: unblock fails (exit 3) naming the sim: reader and asks for a new
# challenge; back in the reader, the card no longer holds the challenge (exit 4, not called a wrong response).
. "$(dirname "$0")/lib.sh"
. "$CARDCTL_SOURCE/tests/cli/offline_unblock_setup.sh"

card=$(new_card staff.sim --serial 20005)
issue "$card" staff holder-staff
block_pin "$card"
flow_challenge _fail "sim:$card" 20005

run "$CARDCTL" respond --card 20005 --challenge "$FLOW_CHALLENGE" --answers-file "$ANSWERS" --json
assert_exit 0
response=$(code_of "$OUT")
"$CARDSIM" fault "$card" --vanish-after 0 2>/dev/null
run "$CARDCTL" unblock --reader "sim:$card" --response "$response" --pin-file "$PIN"
assert_exit 3
assert_stderr_matches "^cardctl: error: .*card removed from reader sim:"
assert_stderr_contains "start again with cardctl challenge"
"$CARDSIM" fault "$card" --clear 2>/dev/null   # back in the reader: a fresh session, no challenge
run "$CARDCTL" unblock --reader "sim:$card" --response "$response" --pin-file "$PIN"
assert_exit 4
assert_stderr_contains "no longer holds the challenge"
assert_stderr_not_contains "wrong response"

finish
