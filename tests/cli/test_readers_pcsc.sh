#!/usr/bin/env bash
# `cardctl readers` and `cardctl status` through a real pcscd: this test starts its own pcscd (with a private
# reader configuration: one vpcd entry = two readers) and `cardsim serve` with two reference cards, then
# checks reader listing, matching, ambiguity and --serial. Exits 77 (skipped) when pcscd or vpcd is missing
# or another pcscd already owns the PC/SC socket.
. "$(dirname "$0")/lib.sh"

VPCD=/usr/lib/pcsc/drivers/serial/libifdvpcd.so
PORT=35991   # vpcd entry: readers on PORT and PORT+1; cardsim card i connects to PORT+i
NAME="cardctl cli test"

skip() { echo "skipped: $*"; exit 77; }
command -v pcscd >/dev/null || skip "pcscd is not installed"
[[ -f $VPCD ]] || skip "vsmartcard-vpcd is not installed"
pidof pcscd >/dev/null && skip "another pcscd is running (only one can own /run/pcscd/pcscd.comm)"

unset PCSCLITE_CSOCK_NAME
mkdir -p "$T_ROOT/reader.conf.d"
cat >"$T_ROOT/reader.conf.d/vpcd" <<CONF
FRIENDLYNAME "$NAME"
DEVICENAME   /dev/null:$PORT
LIBPATH      $VPCD
CHANNELID    $PORT
CONF

card_a=$(new_card a.sim --serial 111)
card_b=$(new_card b.sim --serial 222)

pcscd --foreground -c "$T_ROOT/reader.conf.d" >"$T_ROOT/pcscd.log" 2>&1 &
PCSCD_PID=$!
"$CARDSIM" serve --host 127.0.0.1 --port $PORT "$card_a" "$card_b" >"$T_ROOT/cardsim.log" 2>&1 &
CARDSIM_PID=$!
stop_daemons() {
  kill "$CARDSIM_PID" "$PCSCD_PID" 2>/dev/null
  wait "$CARDSIM_PID" "$PCSCD_PID" 2>/dev/null
  rm -rf "$T_ROOT"
}
trap stop_daemons EXIT

# Wait (bounded by attempts, not by a clock) until both cards are seen.
for _ in $(seq 100); do
  run "$CARDCTL" readers --json
  [[ $RC == 0 ]] && [[ $(jq '[.readers[] | select(.card_present)] | length' <<<"$OUT" 2>/dev/null) == 2 ]] && break
  sleep 0.1
done

run "$CARDCTL" readers --json
assert_exit 0
assert_json '[.readers[].name]' "[\"$NAME 00 00\",\"$NAME 00 01\"]"
assert_json '[.readers[].card_present]' '[true,true]'
assert_json '[.readers[].atr | test("^3B[0-9A-F]+$")]' '[true,true]'

run "$CARDCTL" readers
assert_exit 0
assert_stdout_matches "^$NAME 00 00  card, ATR 3B[0-9A-F]+\$"

# Two cards and no choice: fail and list them, never guess.
run "$CARDCTL" status
assert_exit 2
assert_error_with_hint
assert_stderr_contains "$NAME 00 00"
assert_stderr_contains "$NAME 00 01"

# A reader name part (any case), an exact name, and a name that matches nothing.
run "$CARDCTL" status --reader "CLI TEST 00 01" --json
assert_exit 0
assert_json '.serial' 222
assert_json '.reader' "$NAME 00 01"

run "$CARDCTL" status --reader "@$NAME 00 00" --json
assert_exit 0
assert_json '.serial' 111

run "$CARDCTL" status --reader "@$NAME"
assert_exit 7
assert_error_with_hint

run "$CARDCTL" readers --reader "no such reader"
assert_exit 7
assert_error_with_hint

# --serial asks each card and keeps the one with that serial.
run "$CARDCTL" status --serial 222 --json
assert_exit 0
assert_json '.reader' "$NAME 00 01"
assert_json '.card_id' 222

run "$CARDCTL" --serial 999 status
assert_exit 7
assert_error_with_hint
assert_stderr_contains "serial 111"
assert_stderr_contains "serial 222"

finish
