#!/usr/bin/env bash
# `cardctl readers` and `cardctl status` through the real binary: help and usage errors, status of fresh
# reference cards (text and --json), no PIN try spent, card selection errors, and pcscd not running.
. "$(dirname "$0")/lib.sh"

# --- help, version, usage errors (exit 2 with an error line and a hint) -------------------------------
run "$CARDCTL" --help
assert_exit 0
assert_stdout_contains "readers"
assert_stdout_contains "status"
assert_stdout_contains "Examples:"
assert_stderr_empty

run "$CARDCTL" status --help
assert_exit 0
assert_stdout_contains "--serial"
assert_stdout_contains "--json"
assert_stdout_contains "cardctl status --reader sim:"

run "$CARDCTL" --version
assert_exit 0
assert_stdout_matches '^cardctl [0-9]+\.[0-9]+\.[0-9]+$'

run "$CARDCTL" status --bogus
assert_exit 2
assert_error_with_hint
assert_stderr_contains "--bogus"

run "$CARDCTL"
assert_exit 2
assert_error_with_hint

run "$CARDCTL" frobnicate
assert_exit 2
assert_error_with_hint

run "$CARDCTL" status --serial twelve
assert_exit 2
assert_error_with_hint

run "$CARDCTL" --quiet --verbose status
assert_exit 2
assert_error_with_hint

# --- status of a factory-fresh card ---------------------------------------------------------------
card=$(new_card fresh.sim --serial 12345678)
snapshot "$WORK"
snapshot "$CARDS"

run "$CARDCTL" status --reader "sim:$card"
assert_exit 0
assert_stderr_empty
assert_stdout_matches "^Reader: +sim:$card\$"
assert_stdout_matches '^Card ID: +12345678$'
assert_stdout_matches '^Serial: +12345678$'
assert_stdout_matches '^Version: +5\.4\.3$'
assert_stdout_matches '^PIN: +3 of 3 tries left, factory default$'
assert_stdout_matches '^PUK: +3 of 3 tries left, factory default$'
assert_stdout_matches '^Management key: +TDES, factory default$'
assert_stdout_matches '^Slots: +no keys, no certificates$'

# Global options work after the command and before it.
run "$CARDCTL" --json --reader "sim:$card" status
assert_exit 0
assert_stderr_empty
assert_json '.reader' "sim:$card"
assert_json '.card_id' 12345678
assert_json '.serial' 12345678
assert_json '.version' 5.4.3
assert_json '.pin' '{"remaining":3,"total":3,"blocked":false,"default":true}'
assert_json '.puk' '{"remaining":3,"total":3,"blocked":false,"default":true}'
assert_json '.management_key' '{"algorithm":"tdes","default":true}'
assert_json '.slots' '[]'

# Reading the status spends no PIN try: no VERIFY with data in the trace, and the counter is still 3.
run "$CARDCTL" status --reader "sim:$card" --verbose --json
assert_exit 0
assert_stderr_matches '^cardctl: apdu > 00 A4 04 00'
assert_stderr_matches '^cardctl: apdu > 00 F7 00 80'   # the PIN counter comes from GET METADATA
assert_stderr_not_matches '^cardctl: apdu > 00 20 00 80 08'
assert_json '.pin.remaining' 3
assert_no_new_files "$WORK"

# --serial with a sim: card checks the card's serial.
run "$CARDCTL" status --reader "sim:$card" --serial 12345678 --json
assert_exit 0
assert_json '.serial' 12345678

run "$CARDCTL" status --reader "sim:$card" --serial 999
assert_exit 7
assert_error_with_hint
assert_stderr_contains "no card with serial 999"
assert_stderr_contains "serial 12345678"

# --- other card kinds ---------------------------------------------------------------------------------
aes=$(new_card aes.sim --serial 7 --admin-alg aes256)
run "$CARDCTL" status --reader "sim:$aes" --json
assert_exit 0
assert_json '.management_key.algorithm' aes256
assert_json '.card_id' 7

run "$CARDCTL" status --reader "sim:$aes"
assert_stdout_matches '^Management key: +AES-256, factory default$'

# A card with no serial: the card id is the CHUID GUID when there is one, and nothing otherwise.
noserial=$(new_card noserial.sim)
run "$CARDCTL" status --reader "sim:$noserial" --json
assert_exit 0
assert_json '.serial' null
assert_json 'if .chuid_guid == null then .card_id == null else .card_id == .chuid_guid end' true

# --- card selection errors ----------------------------------------------------------------------------
snapshot "$CARDS"
run "$CARDCTL" status --reader "sim:$CARDS/missing.sim"
assert_exit 7
assert_error_with_hint
assert_stderr_contains "missing.sim"
assert_stderr_contains "cardsim create"
assert_no_new_files "$CARDS"

run "$CARDCTL" readers --reader "sim:$card"
assert_exit 2
assert_error_with_hint
assert_stderr_contains "cardctl status --reader sim:$card"

# --- no PC/SC daemon (lib.sh points pcsc-lite at a socket that does not exist) ------------------------
run "$CARDCTL" readers
assert_exit 3
assert_error_with_hint
assert_stderr_contains "pcscd"

run "$CARDCTL" readers --json
assert_exit 3
assert_error_with_hint

run "$CARDCTL" status
assert_exit 3
assert_error_with_hint
assert_stderr_contains "pcscd"

run "$CARDCTL" status --reader "Some Reader" --serial 5
assert_exit 3
assert_error_with_hint

run "$CARDCTL" status --verbose
assert_exit 3
assert_stderr_contains "cardctl: detail: PC/SC code 0x"

# $CARDCTL_READER names the card when --reader is not given; --reader replaces it; `readers` ignores it (it lists
# the PC/SC readers, and only an explicit --reader filters them).
other=$T_ROOT/env-other.sim
"$CARDSIM" create "$other" --serial 33445566 >/dev/null
export CARDCTL_READER="sim:$card"
run "$CARDCTL" status --json
assert_exit 0
assert_json '.serial' 12345678
run "$CARDCTL" status --reader "sim:$other" --json
assert_exit 0
assert_json '.serial' 33445566
run "$CARDCTL" readers
assert_exit 3
assert_stderr_contains "pcscd"
assert_stderr_not_contains "not a reader"
unset CARDCTL_READER

assert_no_new_files "$WORK"
finish
