#!/usr/bin/env bash
# The holder's own PIN and PUK commands on sim: cards (factory PIN 123456, PUK 12345678, 3 tries each):
# `cardctl pin verify`, `cardctl pin change`, `cardctl puk change`. The tries left are read first; the last try is
# spent only with --force, and a refusal sends nothing; a new PIN or PUK is checked before anything is sent.
# Every secret comes from a 0600 file (secret_file), stdin or the environment, never from argv, and no output
# shows one.
. "$(dirname "$0")/lib.sh"

unset CARDCTL_NEW_PUK   # lib.sh clears the other secret variables

FACTORY_PIN=123456
NEW_PIN_VALUE=48291730
FACTORY_PUK=12345678
NEW_PUK_VALUE=90817263
PIN=$(secret_file pin "$FACTORY_PIN")
WRONG_PIN=$(secret_file wrong-pin 654321)
NEW_PIN=$(secret_file new-pin "$NEW_PIN_VALUE")
SHORT_PIN=$(secret_file short-pin 48291)
PUK=$(secret_file puk "$FACTORY_PUK")
WRONG_PUK=$(secret_file wrong-puk 87654321)
NEW_PUK=$(secret_file new-puk "$NEW_PUK_VALUE")
SHORT_PUK=$(secret_file short-puk 90817)

pin_left() { "$CARDCTL" status --reader "sim:$1" --json | jq -r .pin.remaining; }
puk_left() { "$CARDCTL" status --reader "sim:$1" --json | jq -r .puk.remaining; }
expect_tries() {  # expect_tries pin|puk CARD N WHY
  local got
  got=$("${1}_left" "$2")
  [[ $got == "$3" ]]
  _check $? "$4: $1 tries left $got, expected $3"
}
# No secret, as text or as the hex the APDUs carry, in the last command's stdout or stderr.
assert_no_secret_shown() {
  local s hex
  for s in "$FACTORY_PIN" "$NEW_PIN_VALUE" 654321 48291 "$FACTORY_PUK" "$NEW_PUK_VALUE" 87654321 90817; do
    hex=$(printf '%s' "$s" | od -An -tx1 | tr -d ' \n')
    [[ $OUT != *"$s"* && $ERR != *"$s"* ]]
    _check $? "a secret ($s) appears in the output"
    [[ ${OUT,,} != *"$hex"* && ${ERR,,} != *"$hex"* && ${ERR^^} != *"${hex^^}"* ]]
    _check $? "a secret ($s) appears in hex in the output"
  done
}

snapshot "$WORK"

# --- help and usage ------------------------------------------------------------------------------------------
for cmd in "pin verify" "pin change" "puk change"; do
  run "$CARDCTL" $cmd --help
  assert_exit 0
  assert_stdout_contains "Examples:"
  assert_stdout_contains "cardctl $cmd"
  assert_stdout_contains "--force"
done
run "$CARDCTL" pin
assert_exit 2
run "$CARDCTL" puk
assert_exit 2

# --- pin verify: right, wrong, the last try, --force ---------------------------------------------------------
card=$(new_card verify.sim --serial 40001)
run "$CARDCTL" pin verify --reader "sim:$card" --pin-file "$PIN"
assert_exit 0
assert_stdout_contains "PIN correct (3 tries)"
assert_stderr_contains "card 40001: PIN 3 of 3 tries left"
assert_no_secret_shown

run "$CARDCTL" pin verify --reader "sim:$card" --pin-file "$PIN" --json
assert_exit 0
assert_json '.ok' true
assert_json '.card_id' 40001
assert_json '.pin.remaining' 3
assert_json '.pin.total' 3

run "$CARDCTL" pin verify --reader "sim:$card" --pin-file "$WRONG_PIN"
assert_exit 4
assert_error_with_hint
assert_stderr_contains "wrong PIN, 2 tries left"
assert_no_secret_shown
expect_tries pin "$card" 2 "after one wrong PIN"

run "$CARDCTL" pin verify --reader "sim:$card" --pin-file "$WRONG_PIN" --json
assert_exit 4
assert_stdout_empty
assert_stderr_contains "wrong PIN, 1 try left"
assert_stderr_contains "--force"
expect_tries pin "$card" 1 "after two wrong PINs"

# One try left: refused without --force, and nothing is sent (a wrong PIN sent now would block the card).
run "$CARDCTL" pin verify --reader "sim:$card" --pin-file "$WRONG_PIN"
assert_exit 6
assert_error_with_hint
assert_stderr_contains "the PIN has 1 try left"
assert_stderr_matches '^cardctl: hint: .*--force'
expect_tries pin "$card" 1 "a refused verify sent the PIN"
run "$CARDCTL" pin verify --reader "sim:$card" --pin-file "$PIN" --json
assert_exit 6
assert_stdout_empty
expect_tries pin "$card" 1 "a refused verify sent the PIN"

run "$CARDCTL" pin verify --reader "sim:$card" --pin-file "$PIN" --force
assert_exit 0
assert_stdout_contains "PIN correct (3 tries)"
assert_stderr_contains "PIN 1 of 3 tries left"
expect_tries pin "$card" 3 "a correct PIN did not restore the tries"

# The environment and stdin are sources too (never argv).
export CARDCTL_PIN=$FACTORY_PIN
run "$CARDCTL" pin verify --reader "sim:$card" --verbose
unset CARDCTL_PIN
assert_exit 0
assert_stderr_contains "PIN read from the environment variable CARDCTL_PIN"
assert_no_secret_shown
run_with_stdin "$FACTORY_PIN" "$CARDCTL" pin verify --reader "sim:$card" --json
assert_exit 0
assert_json '.pin.remaining' 3
run "$CARDCTL" pin verify --reader "sim:$card"   # stdin is /dev/null: no PIN, nothing sent
assert_exit 2
assert_error_with_hint
expect_tries pin "$card" 3 "a verify without a PIN"

# --- a blocked PIN: exit 5 and how to unblock it -------------------------------------------------------------
run "$CARDCTL" pin verify --reader "sim:$card" --pin-file "$WRONG_PIN"
run "$CARDCTL" pin verify --reader "sim:$card" --pin-file "$WRONG_PIN"
run "$CARDCTL" pin verify --reader "sim:$card" --pin-file "$WRONG_PIN" --force
assert_exit 5
assert_error_with_hint
assert_stderr_contains "cardctl unblock"
expect_tries pin "$card" 0 "three wrong PINs"
run "$CARDCTL" pin verify --reader "sim:$card" --pin-file "$PIN" --force
assert_exit 5
assert_error_with_hint
assert_stderr_contains "the PIN is blocked"
assert_stderr_matches '^cardctl: hint: .*cardctl unblock'
run "$CARDCTL" pin change --reader "sim:$card" --pin-file "$PIN" --new-pin-file "$NEW_PIN"
assert_exit 5
assert_stderr_contains "the PIN is blocked"

# --- pin change ----------------------------------------------------------------------------------------------
card=$(new_card change.sim --serial 40002)
# A new PIN of 5 characters, or the same as the current one, is refused before anything is sent: even a wrong
# current PIN spends no try.
run "$CARDCTL" pin change --reader "sim:$card" --pin-file "$WRONG_PIN" --new-pin-file "$SHORT_PIN"
assert_exit 2
assert_error_with_hint
assert_stderr_contains "6 to 8 characters"
assert_no_secret_shown
expect_tries pin "$card" 3 "a refused new PIN"
run "$CARDCTL" pin change --reader "sim:$card" --pin-file "$PIN" --new-pin-file "$PIN"
assert_exit 2
assert_error_with_hint
assert_stderr_contains "the new PIN is the same as the current one"
expect_tries pin "$card" 3 "the same PIN"
run "$CARDCTL" pin verify --reader "sim:$card" --pin-file "$PIN"
assert_exit 0

run "$CARDCTL" pin change --reader "sim:$card" --pin-file "$WRONG_PIN" --new-pin-file "$NEW_PIN"
assert_exit 4
assert_error_with_hint
assert_stderr_contains "wrong PIN, 2 tries left"
expect_tries pin "$card" 2 "a change with a wrong PIN"

run "$CARDCTL" pin change --reader "sim:$card" --pin-file "$PIN" --new-pin-file "$NEW_PIN" --json --verbose
assert_exit 0
assert_json '.ok' true
assert_json '.card_id' 40002
assert_stderr_contains "cardctl: apdu"   # the trace is there, with the PINs masked
assert_no_secret_shown
run "$CARDCTL" pin verify --reader "sim:$card" --pin-file "$PIN"
assert_exit 4
run "$CARDCTL" pin verify --reader "sim:$card" --pin-file "$NEW_PIN" --json
assert_exit 0
assert_json '.pin.remaining' 3

# From stdin: the current PIN, then the new one; text output.
run_with_stdin "$NEW_PIN_VALUE"$'\n'"$FACTORY_PIN" "$CARDCTL" pin change --reader "sim:$card"
assert_exit 0
assert_stdout_contains "card 40002: the PIN is changed"
assert_no_secret_shown
run "$CARDCTL" pin verify --reader "sim:$card" --pin-file "$PIN"
assert_exit 0

# On a terminal (tmux): the current PIN, then the new one twice, with echo off.
if command -v tmux >/dev/null; then
  sock=$T_ROOT/tmux.sock
  tmux -S "$sock" new-session -d -x 200 -y 50 "$CARDCTL pin change --reader sim:$card; echo EXIT=\$?; sleep 30"
  screen() { tmux -S "$sock" capture-pane -p; }
  wait_for() { for _ in $(seq 100); do screen | grep -q "$1" && return; sleep 0.1; done; }
  wait_for "Enter current PIN"
  tmux -S "$sock" send-keys "$FACTORY_PIN" Enter
  wait_for "Enter new PIN"
  tmux -S "$sock" send-keys "$NEW_PIN_VALUE" Enter
  wait_for "Repeat new PIN"
  tmux -S "$sock" send-keys "$NEW_PIN_VALUE" Enter
  wait_for "EXIT="
  screen | grep -q "EXIT=0"
  _check $? "pin change on a terminal did not succeed:"$'\n'"$(screen)"
  screen | grep -qE "$FACTORY_PIN|$NEW_PIN_VALUE"
  _check $((!$?)) "a PIN was echoed on the terminal"
  tmux -S "$sock" kill-server 2>/dev/null
  run "$CARDCTL" pin verify --reader "sim:$card" --pin-file "$NEW_PIN"
  assert_exit 0
  run_with_stdin "$NEW_PIN_VALUE"$'\n'"$FACTORY_PIN" "$CARDCTL" pin change --reader "sim:$card"
  assert_exit 0
else
  _fail "tmux is not installed: the prompts were not tested"
fi

# The last try: refused without --force (nothing sent), done with it.
run "$CARDCTL" pin verify --reader "sim:$card" --pin-file "$WRONG_PIN"
run "$CARDCTL" pin verify --reader "sim:$card" --pin-file "$WRONG_PIN"
expect_tries pin "$card" 1 "two wrong PINs"
run "$CARDCTL" pin change --reader "sim:$card" --pin-file "$WRONG_PIN" --new-pin-file "$NEW_PIN"
assert_exit 6
assert_error_with_hint
expect_tries pin "$card" 1 "a refused change sent the PIN"
run "$CARDCTL" pin change --reader "sim:$card" --pin-file "$PIN" --new-pin-file "$NEW_PIN" --force
assert_exit 0
run "$CARDCTL" pin verify --reader "sim:$card" --pin-file "$NEW_PIN"
assert_exit 0
assert_stdout_contains "PIN correct (3 tries)"

# --- puk change ----------------------------------------------------------------------------------------------
card=$(new_card puk.sim --serial 40003)
run "$CARDCTL" puk change --reader "sim:$card" --puk-file "$WRONG_PUK" --new-puk-file "$SHORT_PUK"
assert_exit 2
assert_error_with_hint
assert_stderr_contains "the new PUK must have 6 to 8 characters"
expect_tries puk "$card" 3 "a refused new PUK"
run "$CARDCTL" puk change --reader "sim:$card" --puk-file "$PUK" --new-puk-file "$PUK"
assert_exit 2
assert_stderr_contains "the new PUK is the same as the current one"
expect_tries puk "$card" 3 "the same PUK"

run "$CARDCTL" puk change --reader "sim:$card" --puk-file "$WRONG_PUK" --new-puk-file "$NEW_PUK"
assert_exit 4
assert_error_with_hint
assert_stderr_contains "wrong PUK, 2 tries left"
assert_no_secret_shown
expect_tries puk "$card" 2 "a change with a wrong PUK"

run "$CARDCTL" puk change --reader "sim:$card" --puk-file "$PUK" --new-puk-file "$NEW_PUK" --json --verbose
assert_exit 0
assert_json '.ok' true
assert_json '.card_id' 40003
assert_stderr_contains "card 40003: PUK 2 of 3 tries left"
assert_no_secret_shown
expect_tries puk "$card" 3 "a correct PUK did not restore the tries"

# The new PUK works: it resets the PIN (cardctl unblock --puc); the old one is refused by the card (a raw RESET
# RETRY COUNTER: PUK and new PIN, each padded with FF to 8 bytes).
run "$CARDCTL" unblock --puc --reader "sim:$card" --puk-file "$NEW_PUK" --pin-file "$NEW_PIN"
assert_exit 0
run "$CARDCTL" pin verify --reader "sim:$card" --pin-file "$NEW_PIN"
assert_exit 0
old_puk_hex=$(printf '%s' "$FACTORY_PUK" | od -An -tx1 | tr -d ' \n')
pin_hex=$(printf '%s' "$FACTORY_PIN" | od -An -tx1 | tr -d ' \n')ffff
sw=$("$CARDSIM" apdu "$card" "002C008010${old_puk_hex}${pin_hex}" 2>&1)
[[ ${sw^^} == *63C2* ]]
_check $? "RESET RETRY COUNTER with the old PUK: expected 63C2, got: $sw"
expect_tries puk "$card" 2 "RESET RETRY COUNTER with the old PUK"
run "$CARDCTL" pin verify --reader "sim:$card" --pin-file "$NEW_PIN"
assert_exit 0
run "$CARDCTL" puk change --reader "sim:$card" --puk-file "$WRONG_PUK" --new-puk-file "$NEW_PUK"
assert_exit 4
assert_stderr_contains "wrong PUK, 1 try left"
assert_stderr_matches '^cardctl: hint: .*--force'

# The PUK's last try: refused without --force (nothing sent), then spent with it.
run "$CARDCTL" puk change --reader "sim:$card" --puk-file "$WRONG_PUK" --new-puk-file "$NEW_PUK"
assert_exit 6
assert_error_with_hint
assert_stderr_contains "the PUK has 1 try left"
expect_tries puk "$card" 1 "a refused PUK change sent the PUK"
run_with_stdin "$NEW_PUK_VALUE"$'\n'"$FACTORY_PUK" "$CARDCTL" puk change --reader "sim:$card" --force
assert_exit 0
assert_stdout_contains "the PUK is changed"
assert_no_secret_shown
expect_tries puk "$card" 3 "the PUK changed back"

# A blocked PUK: exit 5, and the card must be issued again.
export CARDCTL_PUK=87654321 CARDCTL_NEW_PUK=$NEW_PUK_VALUE
run "$CARDCTL" puk change --reader "sim:$card"
run "$CARDCTL" puk change --reader "sim:$card"
run "$CARDCTL" puk change --reader "sim:$card" --force
assert_exit 5
assert_error_with_hint
expect_tries puk "$card" 0 "three wrong PUKs"
run "$CARDCTL" puk change --reader "sim:$card" --force
unset CARDCTL_PUK CARDCTL_NEW_PUK
assert_exit 5
assert_error_with_hint
assert_stderr_contains "the PUK is blocked"

assert_no_new_files "$WORK"
finish
