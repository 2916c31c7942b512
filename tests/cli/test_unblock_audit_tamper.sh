#!/usr/bin/env bash
# The audit trail after unblocks and refusals: intact, the limit's refusal a respond entry and the wrong answers a
# failed identify entry; then a changed, a deleted, two swapped and a truncated last line are each found (exit 6).
. "$(dirname "$0")/lib.sh"
. "$CARDCTL_SOURCE/tests/cli/offline_unblock_setup.sh"

# The trail of test_unblock_refusals.sh: 2 unblocks, wrong answers, the 3rd unblock of the period, a 4th refused.
card=$(new_card staff.sim --serial 20005)
issue "$card" staff holder-staff
unblock_offline "$card" 20005
unblock_offline "$card" 20005
block_pin "$card"
flow_challenge _fail "sim:$card" 20005
run "$CARDCTL" respond --card 20005 --challenge "$FLOW_CHALLENGE" --answers-file "$WRONG"     # not identified
flow_respond _fail 20005 "$FLOW_CHALLENGE" "$ANSWERS"
flow_unblock _fail "sim:$card" "$FLOW_RESPONSE" "$PIN"
block_pin "$card"
flow_challenge _fail "sim:$card" 20005
run "$CARDCTL" respond --card 20005 --challenge "$FLOW_CHALLENGE" --answers-file "$ANSWERS"   # refused: a 4th

run "$CARDCTL" audit verify --json
assert_exit 0
assert_json '.ok' true
run "$CARDCTL" audit show --card 20005 --action respond --json
assert_exit 0
assert_json '[.entries[] | select(.outcome == "refused")] | length' 1   # the limit; the wrong answers are an identify entry
run "$CARDCTL" audit show --card 20005 --action identify --json
assert_exit 0
assert_json '[.entries[] | select(.outcome == "failed")] | length' 1
trail=$CARDCTL_HOME/audit.log
cp "$trail" "$T_ROOT/audit.orig"
sed -i '3s/"time":"2/"time":"3/' "$trail"
run "$CARDCTL" audit verify
assert_exit 6
assert_stderr_contains "line 3"
cp "$T_ROOT/audit.orig" "$trail"; sed -i '4d' "$trail"
run "$CARDCTL" audit verify --json
assert_exit 6
assert_json '.bad_line' 4
cp "$T_ROOT/audit.orig" "$trail"; { sed -n '1,2p' "$T_ROOT/audit.orig"; sed -n '4p' "$T_ROOT/audit.orig"; sed -n '3p' "$T_ROOT/audit.orig"; sed -n '5,$p' "$T_ROOT/audit.orig"; } >"$trail"
run "$CARDCTL" audit verify
assert_exit 6
assert_stderr_contains "line 3"
head -n -1 "$T_ROOT/audit.orig" >"$trail"
run "$CARDCTL" audit verify
assert_exit 6
assert_stderr_contains "deleted from the end"
cp "$T_ROOT/audit.orig" "$trail"

finish
