#!/usr/bin/env bash
# The detached flow on an AES-192 (staff) and a TDES (legacy) card: challenge --detach for the blocked card with a
# 39- or 19-character challenge, respond (the first of 3 unblocks in the period), then unblock --response sets the PIN.
. "$(dirname "$0")/lib.sh"
. "$CARDCTL_SOURCE/tests/cli/offline_unblock_setup.sh"

for template in staff legacy; do
  id=$((20000 + ${#template}))
  card=$(new_card "$template.sim" --serial "$id")
  issue "$card" "$template" "holder-$template"
  assert_json '.card_id' "$id"
  block_pin "$card"   # checks that no try is left

  flow_challenge _fail "sim:$card" "$id"   # checks the exit status and the card id
  assert_json '.pin_tries_left' 0
  [[ $template == staff ]] && assert_json '.challenge | length' 39 || assert_json '.challenge | length' 19

  flow_respond _fail "$id" "$FLOW_CHALLENGE" "$ANSWERS"
  assert_json '.unblocks_left_in_period' 2

  flow_unblock _fail "sim:$card" "$FLOW_RESPONSE" "$PIN"   # checks the exit status and that 3 tries are back
  assert_stdout_contains "the PIN is set"
done

finish
