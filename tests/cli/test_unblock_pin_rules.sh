#!/usr/bin/env bash
# Codes without their check only with --no-check (exit 2 otherwise); a new PIN that breaks the rules is refused
# (exit 2) before anything reaches the card, so the challenge stays; the PIN never shows in the --verbose trace.
. "$(dirname "$0")/lib.sh"
. "$CARDCTL_SOURCE/tests/cli/offline_unblock_setup.sh"

card=$(new_card pin-rules.sim --serial 30001)
issue "$card" staff holder-pin-rules
block_pin "$card"
run "$CARDCTL" challenge --reader "sim:$card" --detach --json
challenge=$(code_of "$OUT")
run "$CARDCTL" respond --card 30001 --challenge "${challenge% *}" --answers-file "$ANSWERS" --json   # without check:
assert_exit 2                                                                                           # only with
assert_stderr_contains "expected 36 with the 4-digit check"                                             # --no-check
run "$CARDCTL" respond --card 30001 --no-check --challenge "${challenge% *}" --answers-file "$ANSWERS" --json
assert_exit 0
response=$(jq -r '.response' <<<"$OUT")   # and the response without its check too (Windows' unblock screen)
run "$CARDCTL" unblock --reader "sim:$card" --response "$response" --pin-file "$PIN"
assert_exit 2
assert_stderr_contains "expected 36 with the 4-digit check"
TRIVIAL=$(secret_file trivial 123456)
run "$CARDCTL" unblock --reader "sim:$card" --no-check --response "$response" --pin-file "$TRIVIAL"
assert_exit 2
assert_stderr_contains "too easy to guess"
run "$CARDCTL" unblock --reader "sim:$card" --no-check --response "$response" --pin-file "$PIN" --verbose
assert_exit 0
assert_stderr_matches "^cardctl: apdu > 00 2C 02 80 08 \*\* \*\* \*\*"
assert_stderr_not_contains "482917"
assert_stderr_not_contains "34 38 32 39 31 37"
[[ $(pin_left "$card") == 3 ]]
_check $? "the unblock after a refused PIN did not work"

finish
