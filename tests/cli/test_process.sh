#!/usr/bin/env bash
# What cardctl sets up for itself before it opens a file or loads a secret (issue 6): descriptors 0-2 closed by
# the caller are not taken by a file it opens (a card's lock file), what it creates is for its owner only
# (umask 077), and no core dump can hold the master key (RLIMIT_CORE 0, not dumpable).
. "$(dirname "$0")/lib.sh"

export CARDCTL_HOME=$T_ROOT/site CARDCTL_PASSPHRASE="test passphrase 1" CARDCTL_OPERATOR=helpdesk-1

card_ok() {  # card_ok CARD: the lock file holds nothing and the card still answers
  [[ ! -s $1.lock ]]
  _check $? "the lock file of $1 was written to: $(head -c 200 "$1.lock" 2>/dev/null)"
  "$CARDCTL" status --reader "sim:$1" --json >"$T_CAPTURE/status.out" 2>"$T_CAPTURE/status.err"
  _check $? "the card $1 no longer answers: $(cat "$T_CAPTURE/status.err")"
}

# run_closed REDIRECTIONS CMD ARGS...: like run, but with the descriptors the redirections close closed; stdout and
# stderr, where open, are captured as usual.
run_closed() {
  local how=$1
  shift
  CMD="$* $how"
  : >"$T_CAPTURE/out"
  : >"$T_CAPTURE/err"
  case $how in
    '>&-') "$@" >&- 2>"$T_CAPTURE/err" </dev/null ;;
    '2>&-') "$@" >"$T_CAPTURE/out" 2>&- </dev/null ;;
    '<&-') "$@" >"$T_CAPTURE/out" 2>"$T_CAPTURE/err" <&- ;;
    '<&- >&- 2>&-') "$@" <&- >&- 2>&- ;;
  esac
  RC=$?
  OUT=$(cat "$T_CAPTURE/out")
  ERR=$(cat "$T_CAPTURE/err")
}

# --- closed stdout: the challenge JSON does not land in the card's lock file; the lost output is an I/O error ---
card=$(new_card closed.sim --serial 40001)
run_closed '>&-' "$CARDCTL" challenge --reader "sim:$card" --detach --json
assert_exit 8
assert_stderr_matches '^cardctl: error: writing the output failed'
assert_stderr_matches '^cardctl: hint: .+'
card_ok "$card"

# --- closed stderr: the APDU trace goes nowhere, not into the card's files -------------------------------------
run_closed '2>&-' "$CARDCTL" status --reader "sim:$card" --verbose --json
assert_exit 0
assert_json '.serial' 40001
card_ok "$card"

# --- closed stdin: end of input, not a read of some file ------------------------------------------------------
run_closed '<&-' "$CARDCTL" unblock --reader "sim:$card" --puc
assert_exit 2
assert_stderr_contains "expected on stdin, which ended"
card_ok "$card"

# --- all three closed ----------------------------------------------------------------------------------------
run_closed '<&- >&- 2>&-' "$CARDCTL" challenge --reader "sim:$card" --detach --json
assert_exit 8
card_ok "$card"

# --- umask 077: the installation is its owner's only, whatever the caller's umask ------------------------------
snapshot "$WORK"
(umask 000 && exec "$CARDCTL" init --policy "$CARDCTL_SOURCE/examples/policy.toml" --scrypt-n 1024 --json) \
  >"$T_CAPTURE/out" 2>"$T_CAPTURE/err"
RC=$? CMD="umask 000; cardctl init" OUT=$(cat "$T_CAPTURE/out") ERR=$(cat "$T_CAPTURE/err")
assert_exit 0
open=$(find "$CARDCTL_HOME" -perm /077 -printf '%m %P\n')
[[ -z $open ]]
_check $? "files open to group or others after init with umask 000: $open"
card=$(new_card umask.sim --serial 40002)
rm -f "$card.lock"
(umask 000 && exec "$CARDCTL" status --reader "sim:$card" >/dev/null 2>&1)
[[ $(stat -c %a "$card.lock") == 600 ]]
_check $? "the lock file is mode $(stat -c %a "$card.lock"), not 600"

# --- no core dump: respond, holding the master key, waits for the challenge on stdin and is killed ---------------
mkfifo "$T_ROOT/stdin"
(ulimit -c unlimited 2>/dev/null; exec "$CARDCTL" respond --card 12345678 <"$T_ROOT/stdin" >/dev/null 2>"$T_CAPTURE/err") &
pid=$!
exec 3>"$T_ROOT/stdin"   # open the fifo's other end: respond reads the challenge and blocks
for _ in $(seq 100); do
  grep -q pipe_read "/proc/$pid/wchan" 2>/dev/null && break
  sleep 0.1
done
grep -Eq '^Max core file size +0 +0 ' "/proc/$pid/limits"
_check $? "core dumps are not off: $(grep -i core "/proc/$pid/limits")"
if [[ $(id -u) != 0 ]]; then   # a process that is not dumpable has its /proc files owned by root
  [[ $(stat -c %u "/proc/$pid") == 0 ]]
  _check $? "the process is dumpable: /proc/$pid is owned by uid $(stat -c %u "/proc/$pid")"
fi
kill -ABRT "$pid"
wait "$pid"
rc=$?
exec 3>&-
[[ $rc == 134 ]]
_check $? "respond did not die of SIGABRT (exit $rc): $(cat "$T_CAPTURE/err")"
cores=$(find "$WORK" -name 'core*')
[[ -z $cores ]]
_check $? "a core file was written: $cores"
assert_no_new_files "$WORK"

finish
