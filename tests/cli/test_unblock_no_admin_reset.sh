#!/usr/bin/env bash
# A card without the admin PIN reset right: after challenge and respond, unblock --response fails (exit 3) and points
# to the PUK (cardctl unblock --puc).
. "$(dirname "$0")/lib.sh"
. "$CARDCTL_SOURCE/tests/cli/offline_unblock_setup.sh"

card=$(new_card plain.sim --serial 30004 --no-admin-pin-reset)
issue "$card" legacy holder-plain
block_pin "$card"
run "$CARDCTL" challenge --reader "sim:$card" --detach --json
run "$CARDCTL" respond --card 30004 --challenge "$(code_of "$OUT")" --answers-file "$ANSWERS" --json
response=$(code_of "$OUT")
run "$CARDCTL" unblock --reader "sim:$card" --response "$response" --pin-file "$PIN"
assert_exit 3
assert_stderr_contains "cardctl unblock --puc"

finish
