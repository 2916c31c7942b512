#!/usr/bin/env bash
# How many APDUs each card flow sends, as cardctl counts them ("apdus" in every --json document of a command that
# talked to a card; the same count pcscd logs). Pinned, so that a change that sends more fails here; lower is
# welcome, and then these numbers are lowered with it. The protocol minimum of each flow is beside it.
. "$(dirname "$0")/lib.sh"
. "$CARDCTL_SOURCE/tests/cli/offline_unblock_setup.sh"

apdus_are() {  # apdus_are N WHAT: the last command's document says it sent N APDUs
  assert_exit 0
  [[ $(jq -r '.apdus' <<<"$OUT") == "$1" ]]
  _check $? "$2: $(jq -r '.apdus' <<<"$OUT") APDUs, pinned at $1"
}

# status on a factory card: SELECT, GET SERIAL, GET VERSION, metadata of PIN, PUK and admin key, the CHUID, and
# metadata and certificate of 9a 9c 9d 9e (8), then the metadata of the 20 retired slots (their certificates only
# where a key is). The facts shown need the first 15; the 20 retired slots are the price of showing them.
card=$(new_card fresh.sim --serial 30100)
run "$CARDCTL" status --reader "sim:$card" --json
apdus_are 35 "status, factory card"

# issuance of the staff template (AES-192 admin key, a P-256 key in 9a with its certificate)
card=$(new_card staff.sim --serial 30101)
issue "$card" staff holder-1
apdus_are 23 "issue"

# on the issued card the certificates of 9a and 9c are long enough to come in two parts (GET RESPONSE)
run "$CARDCTL" status --reader "sim:$card" --json
apdus_are 37 "status, issued card"

# the detached offline unblock. challenge --detach: SELECT, GET SERIAL (card id), admin key metadata
# (algorithm), PIN counter, GENERAL AUTHENTICATE witness: 5 (minimum 4: the card id could come with the
# metadata's). unblock --response: GENERAL AUTHENTICATE response, RESET RETRY COUNTER, and the card id check.
block_pin "$card"
flow_challenge _fail "sim:$card" 30101
apdus_are 5 "challenge --detach"
flow_respond _fail 30101 "$FLOW_CHALLENGE" "$ANSWERS"
[[ $(jq -r '.apdus' <<<"$OUT") == null ]]
_check $? "respond talks to no card, and says no apdus: $OUT"
flow_cardctl "" unblock --reader "sim:$card" --response "$FLOW_RESPONSE" --pin-file "$PIN" --json
apdus_are 4 "unblock --response"

finish
