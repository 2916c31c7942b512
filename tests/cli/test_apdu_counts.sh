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

# status on a factory card: SELECT, GET SERIAL, GET VERSION, metadata of PIN, PUK and admin key, the CHUID, the
# key history object, and metadata and certificate of 9a 9c 9d 9e (8): 16, the minimum for what it shows. The
# key history counts no retired key, so the 20 retired slots are not read; --all-slots reads their metadata too.
card=$(new_card fresh.sim --serial 30100)
run "$CARDCTL" status --reader "sim:$card" --json
apdus_are 16 "status, factory card"
run "$CARDCTL" status --reader "sim:$card" --all-slots --json
apdus_are 35 "status --all-slots, factory card (no key history read)"

# issuance of the staff template (AES-192 admin key on a 5.4.3 card: GET VERSION is read; keys with certificates in
# 9a, PIN policy once, and 9c, PIN policy always, so the PIN is verified again before 9c's signature and before
# SET PIN RETRIES)
card=$(new_card staff.sim --serial 30101)
issue "$card" staff holder-1
apdus_are 23 "issue"

# on the issued card the certificates of 9a and 9c are long enough to come in two parts (GET RESPONSE)
run "$CARDCTL" status --reader "sim:$card" --json
apdus_are 18 "status, issued card"

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

# unblock with the PUK (a factory card): SELECT, GET SERIAL (card id), the PUK counter from metadata (the last try
# is never spent without --force), RESET RETRY COUNTER: 4 (minimum 2)
card=$(new_card puk.sim --serial 30102)
block_pin "$card"
run "$CARDCTL" unblock --reader "sim:$card" --puc --puk-file "$(secret_file puk 12345678)" --pin-file "$PIN" --json
apdus_are 4 "unblock --puc"

finish
