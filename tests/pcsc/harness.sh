# PC/SC test harness (docs/architecture.md#tests): a private pcscd with vpcd readers, and cardsim presenting reference
# cards in them. Sourced by test scripts (bash), which ctest runs one at a time (RESOURCE_LOCK pcscd): pcscd's
# socket is always /run/pcscd/pcscd.comm, so only one pcscd can run.
#
#   source "$HARNESS"                      # creates $PCSC_DIR (scratch, removed at exit) and the exit trap
#   pcsc_require [TOOL...]                 # exit 77 (skip) when pcscd, vpcd, cardsim, opensc-tool, jq or a
#                                          # TOOL is missing, or when not root
#   "$CARDSIM_BIN" create "$PCSC_DIR/a.card" --serial 1001
#   pcsc_start NPAIRS CARD_FILE...         # card i is served on port 35963+i, reader ${PCSC_READERS[i]}
#   pcsc_ctl remove 1 / insert 1 / status  # cardsim's control socket
#   pcsc_wait_card "${PCSC_READERS[1]}" no # wait (bounded) until the reader shows / does not show a card
#   pcsc_reader_state NAME                 # prints yes / no (card in the reader), nothing for no such reader
#   pcsc_fail MESSAGE                      # fail the test (daemon logs are shown on the way out)
#   pcsc_expect PATTERN OUTPUT             # fail unless OUTPUT matches the extended regex PATTERN
#   pcsc_one_card [CREATE OPTION...]       # one card (cardsim create options) in one reader: sets R (its
#                                          # reader) and W (a work folder in $PCSC_DIR)
#   pcsc_restart_pcscd                     # stop and start pcscd; cardsim reconnects
#
# Do not use a bare `wait` in a test: pcscd and cardsim are background jobs of the test shell; wait for your
# own jobs by PID.
#
# Each of the NPAIRS vpcd entries gives two readers, "cardsim-K 00 00" and "cardsim-K 00 01", on ports
# 35963+2K and 35963+2K+1. The vpcd driver keeps its sockets in globals, so each entry loads its own copy of
# the driver (two entries sharing one LIBPATH would share one socket per slot).
# On EXIT, INT and TERM, cardsim and pcscd are stopped by PID and waited for, also when the test fails; a
# watchdog stops them too if the test shell is killed outright. PCSC_KEEP=1 keeps $PCSC_DIR, PCSC_DEBUG=1 runs
# pcscd with --debug --apdu (log in $PCSC_DIR/pcscd.log).

PCSC_BASE_PORT=35963
PCSC_VPCD_DRIVER=${PCSC_VPCD_DRIVER:-/usr/lib/pcsc/drivers/serial/libifdvpcd.so}
PCSC_WAIT_SECONDS=${PCSC_WAIT_SECONDS:-20}
PCSC_DIR=$(mktemp -d "${TMPDIR:-/tmp}/cardctl-pcsc.XXXXXX")
PCSC_CONTROL="$PCSC_DIR/control.sock"
PCSC_READERS=()
PCSC_PCSCD_PID=
PCSC_CARDSIM_PID=
PCSC_WATCHDOG_PID=

pcsc_log() { echo "harness: $*" >&2; }

# pcsc_fail MESSAGE: the test failed; the exit trap stops the daemons and shows their logs.
pcsc_fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# pcsc_expect PATTERN OUTPUT: fail the test, showing OUTPUT, unless it matches the extended regex PATTERN.
pcsc_expect() {
  grep -qE "$1" <<<"$2" || pcsc_fail "expected /$1/ in:"$'\n'"$2"
}

pcsc_skip() {
  echo "SKIP: $*" >&2
  exit 77
}

# pcsc_require [TOOL...]: skip the test unless everything it needs is installed.
pcsc_require() {
  command -v pcscd >/dev/null 2>&1 || pcsc_skip "pcscd is not installed (Debian: pcscd)"
  command -v jq >/dev/null 2>&1 || pcsc_skip "jq is not installed (the harness reads cardsim status with it)"
  command -v opensc-tool >/dev/null 2>&1 || pcsc_skip "opensc-tool is not installed (the harness polls readers with it)"
  [[ -f $PCSC_VPCD_DRIVER ]] || pcsc_skip "the vpcd driver $PCSC_VPCD_DRIVER is missing (Debian: vsmartcard-vpcd)"
  [[ -x ${CARDSIM_BIN:-} ]] || pcsc_skip "CARDSIM_BIN does not name the cardsim executable"
  [[ $(id -u) == 0 ]] || pcsc_skip "starting pcscd needs root (it owns /run/pcscd)"
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 || [[ -x $tool ]] || pcsc_skip "$tool is not installed"
  done
}

# Live (not zombie) pcscd processes.
pcsc__running_pcscd() {
  ps -eo pid=,stat=,comm= | awk '$3 == "pcscd" && $2 !~ /^Z/ { print $1 }'
}

pcsc__alive() {  # PID: running and not a zombie
  local state
  state=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
  [[ -n $state && $state != Z* ]]
}

pcsc__stop_pid() {  # PID NAME: SIGTERM, up to 5 s, then SIGKILL; always reaped. Returns the exit status.
  local pid=$1 name=$2 i status=0
  [[ -n $pid ]] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    pcsc__alive "$pid" || break
    sleep 0.1
  done
  if pcsc__alive "$pid"; then
    pcsc_log "$name (pid $pid) did not stop on SIGTERM; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || status=$?
  return "$status"
}

# pcsc_stop: stops cardsim and pcscd (the exit trap does it anyway). Fails when cardsim did not exit cleanly
# on SIGTERM (a crash, or a sanitizer report).
pcsc_stop() {
  local rc=0
  pcsc__stop_pid "$PCSC_CARDSIM_PID" cardsim || rc=$?
  [[ $rc == 0 ]] || pcsc_log "cardsim exited with status $rc"
  PCSC_CARDSIM_PID=
  pcsc__stop_pid "$PCSC_PCSCD_PID" pcscd || true
  PCSC_PCSCD_PID=
  if [[ -n $PCSC_WATCHDOG_PID ]]; then
    kill -KILL "$PCSC_WATCHDOG_PID" 2>/dev/null || true
    wait "$PCSC_WATCHDOG_PID" 2>/dev/null || true
    PCSC_WATCHDOG_PID=
  fi
  return "$rc"
}

pcsc__on_exit() {
  local rc=$?
  trap - EXIT INT TERM
  set +e  # cleanup runs to the end whatever the test's shell options
  pcsc_stop || { [[ $rc == 0 ]] && rc=1; }
  if [[ $rc != 0 && $rc != 77 ]]; then
    local log
    for log in "$PCSC_DIR/cardsim.log" "$PCSC_DIR/pcscd.log"; do
      [[ -s $log ]] || continue
      pcsc_log "last lines of $log:"
      # (pcscd logs an IFDControl error for every feature query of opensc-tool: noise)
      grep -v "Card not transacted" "$log" | tail -n 25 >&2
    done
  fi
  if [[ ${PCSC_KEEP:-0} == 1 ]]; then
    pcsc_log "kept $PCSC_DIR"
  else
    rm -rf "$PCSC_DIR"
  fi
  exit "$rc"
}
trap pcsc__on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# pcsc_reader_state NAME: prints "yes" when a card is in the reader, "no" when not, "" when no such reader.
pcsc_reader_state() {
  timeout 10 opensc-tool -l 2>/dev/null | awk -v name="$1" '
    NR > 2 && substr($0, length($0) - length(name)) == " " name { print ($2 == "Yes" ? "yes" : "no") }'
}

# pcsc_wait_card NAME yes|no: waits (at most PCSC_WAIT_SECONDS) until the reader shows / does not show a card.
pcsc_wait_card() {
  local name=$1 want=$2 i
  for ((i = 0; i < PCSC_WAIT_SECONDS * 5; i++)); do
    [[ $(pcsc_reader_state "$name") == "$want" ]] && return 0
    sleep 0.2
  done
  pcsc_log "reader '$name' still does not show card=$want after ${PCSC_WAIT_SECONDS}s; readers:"
  timeout 10 opensc-tool -l >&2
  return 1
}

# pcsc_ctl COMMAND...: one command to cardsim's control socket (remove N, insert N, swap N SERIAL, vanish-after N K,
# status).
pcsc_ctl() {
  "$CARDSIM_BIN" ctl "$PCSC_CONTROL" "$@"
}

pcsc__start_pcscd() {
  local debug=()
  [[ ${PCSC_DEBUG:-0} == 1 ]] && debug=(--debug --apdu)
  pcscd --foreground -c "$PCSC_DIR/reader.conf.d" "${debug[@]}" >>"$PCSC_DIR/pcscd.log" 2>&1 </dev/null &
  PCSC_PCSCD_PID=$!
}

# pcsc_restart_pcscd: stops pcscd and starts it again (cardsim keeps running and must reconnect); waits until
# every card that is not removed shows in its reader again.
pcsc_restart_pcscd() {
  pcsc__stop_pid "$PCSC_PCSCD_PID" pcscd || true
  pcsc__start_pcscd
  local i
  for ((i = 0; i < ${#PCSC_READERS[@]}; i++)); do
    [[ $(pcsc_ctl status | jq ".cards[$i].inserted") == true ]] || continue
    pcsc_wait_card "${PCSC_READERS[i]}" yes || return 1
  done
}

# pcsc_start NPAIRS CARD_FILE...: starts pcscd with NPAIRS vpcd entries and cardsim serving the cards, and
# waits until every card shows in its reader. Fails (returns 1) if another pcscd is running.
pcsc_start() {
  local pairs=$1
  shift
  local cards=("$@") k i port
  if ((${#cards[@]} > 2 * pairs)); then
    pcsc_log "pcsc_start: ${#cards[@]} cards do not fit in $pairs vpcd entries (2 readers each)"
    return 1
  fi
  local others
  others=$(pcsc__running_pcscd)
  if [[ -n $others ]]; then
    pcsc_log "another pcscd is running (pid $(echo $others)); it owns /run/pcscd/pcscd.comm, so this test"
    pcsc_log "cannot start its own. Stop it first, e.g.: systemctl stop pcscd.socket pcscd"
    return 1
  fi
  for ((port = PCSC_BASE_PORT; port < PCSC_BASE_PORT + 2 * pairs; port++)); do
    if ss -ltnH "sport = :$port" 2>/dev/null | grep -q .; then
      pcsc_log "TCP port $port (vpcd) is already in use; stop whatever listens there"
      return 1
    fi
  done
  # A pcscd that was killed leaves its pid file; with no pcscd alive it is stale.
  rm -f /run/pcscd/pcscd.pid /run/pcscd/pcscd.comm

  mkdir -p "$PCSC_DIR/reader.conf.d"
  for ((k = 0; k < pairs; k++)); do
    port=$((PCSC_BASE_PORT + 2 * k))
    cp "$PCSC_VPCD_DRIVER" "$PCSC_DIR/libifdvpcd-$k.so"
    cat >"$PCSC_DIR/reader.conf.d/vpcd-$k" <<EOF
FRIENDLYNAME "cardsim-$k"
DEVICENAME   /dev/null:$port
LIBPATH      $PCSC_DIR/libifdvpcd-$k.so
CHANNELID    $port
EOF
  done
  PCSC_READERS=()
  for ((i = 0; i < ${#cards[@]}; i++)); do
    PCSC_READERS+=("cardsim-$((i / 2)) 00 0$((i % 2))")
  done

  pcsc__start_pcscd
  # shellcheck disable=SC2086 # PCSC_CARDSIM_OPTIONS: extra serve options, e.g. "--keygen-delay-ms 200"
  "$CARDSIM_BIN" serve ${PCSC_CARDSIM_OPTIONS:-} --port "$PCSC_BASE_PORT" --control "$PCSC_CONTROL" "${cards[@]}" \
    >"$PCSC_DIR/cardsim.log" 2>&1 </dev/null &
  PCSC_CARDSIM_PID=$!
  # If this shell is killed without running its traps, the watchdog still stops both.
  (
    trap - EXIT INT TERM
    while kill -0 $$ 2>/dev/null; do sleep 1; done
    kill -TERM "$PCSC_CARDSIM_PID" "$PCSC_PCSCD_PID" 2>/dev/null
    sleep 1
    [[ ${PCSC_KEEP:-0} == 1 ]] || rm -rf "$PCSC_DIR"
  ) >/dev/null 2>&1 </dev/null &
  PCSC_WATCHDOG_PID=$!

  for ((i = 0; i < ${#cards[@]}; i++)); do
    if ! pcsc__alive "$PCSC_PCSCD_PID"; then
      pcsc_log "pcscd exited at start-up"
      return 1
    fi
    if ! pcsc__alive "$PCSC_CARDSIM_PID"; then
      pcsc_log "cardsim exited at start-up"
      return 1
    fi
    pcsc_wait_card "${PCSC_READERS[i]}" yes || return 1
  done
  pcsc_log "pcscd (pid $PCSC_PCSCD_PID) and cardsim (pid $PCSC_CARDSIM_PID) serve ${#cards[@]} card(s): ${PCSC_READERS[*]}"
}

# pcsc_one_card [CREATE OPTION...]: a factory-fresh card (cardsim create with the options given) served in one
# reader; sets R to the reader's name and W to a work folder in $PCSC_DIR.
pcsc_one_card() {
  W="$PCSC_DIR/work"
  mkdir -p "$W"
  "$CARDSIM_BIN" create "$PCSC_DIR/card.card" "$@"
  pcsc_start 1 "$PCSC_DIR/card.card"
  R="${PCSC_READERS[0]}"
}
