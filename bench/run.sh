#!/bin/bash
# cardctl against yubico-piv-tool on the reference card (cardsim) through a private pcscd: APDUs counted from
# pcscd's own log (--debug --apdu: one "APDU: ..." line per command APDU sent to the card) and wall time of the
# commands, median over --iterations. See bench/README.md.
#
#   bench/run.sh [--iterations N] [--apdu-delay-ms N] [--keygen-delay-ms N] [--json FILE]
#
# Environment: CARDCTL_BIN (default build/cardctl), CARDSIM_BIN (default build/tools/cardsim/cardsim), HARNESS
# (default tests/pcsc/harness.sh), relative to the source tree. Needs root, pcscd and vpcd, like the PC/SC tests;
# exits 77 when something is missing. Exits 1 when a flow fails.
set -euo pipefail

usage() {
  sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}
SOURCE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ITERATIONS=5
APDU_DELAY_MS=0
KEYGEN_DELAY_MS=0
JSON_OUT=
while (($#)); do
  case $1 in
    --iterations) ITERATIONS=${2:?}; shift 2 ;;
    --apdu-delay-ms) APDU_DELAY_MS=${2:?}; shift 2 ;;
    --keygen-delay-ms) KEYGEN_DELAY_MS=${2:?}; shift 2 ;;
    --json) JSON_OUT=${2:?}; shift 2 ;;
    -h | --help) usage ;;
    *) echo "bench: unknown argument '$1'" >&2; usage ;;
  esac
done
for n in "$ITERATIONS" "$APDU_DELAY_MS" "$KEYGEN_DELAY_MS"; do
  [[ $n =~ ^[0-9]+$ ]] || { echo "bench: '$n' is not a number" >&2; exit 2; }
done
((ITERATIONS >= 1)) || { echo "bench: --iterations must be at least 1" >&2; exit 2; }
[[ -z $JSON_OUT || $JSON_OUT == /* ]] || JSON_OUT=$PWD/$JSON_OUT

abs() { [[ $1 == /* ]] && echo "$1" || echo "$SOURCE/$1"; }
CARDCTL_BIN=$(abs "${CARDCTL_BIN:-build/cardctl}")
CARDSIM_BIN=$(abs "${CARDSIM_BIN:-build/tools/cardsim/cardsim}")
HARNESS=$(abs "${HARNESS:-tests/pcsc/harness.sh}")
export CARDCTL_BIN CARDSIM_BIN
[[ -x $CARDCTL_BIN ]] || { echo "bench: CARDCTL_BIN ($CARDCTL_BIN) is not an executable; build first" >&2; exit 77; }

# shellcheck disable=SC2034 # read by the harness
PCSC_DEBUG=1  # pcscd --debug --apdu, log in $PCSC_DIR/pcscd.log: what the APDUs are counted from
# shellcheck source=/dev/null
source "$HARNESS"
pcsc_require yubico-piv-tool openssl jq

fail() {
  echo "bench: FAIL: $*" >&2
  exit 1
}
W=$PCSC_DIR/bench
mkdir -p "$W"
LOG=$PCSC_DIR/pcscd.log
export CARDCTL_HOME=$W/site CARDCTL_PASSPHRASE="bench passphrase 1" CARDCTL_OPERATOR=bench
"$CARDCTL_BIN" init --policy "$SOURCE/bench/policy.toml" --scrypt-n 1024 >/dev/null || fail "cardctl init"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj "/CN=bench CA" \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
  -keyout "$W/ca.key" -out "$W/ca.pem" 2>/dev/null
chmod 600 "$W/ca.key"
printf 'first-school: Elm Primary\nfirst-street: Oak Road\nfirst-concert: The Cure\n' >"$W/answers"
printf '12345678\n' >"$W/puk"
printf '482917\n' >"$W/newpin"
chmod 600 "$W/answers" "$W/puk" "$W/newpin"
DEFAULT_KEY=010203040506070801020304050607080102030405060708

"$CARDSIM_BIN" create "$W/start.card" --serial 60000 >/dev/null 2>&1
cardsim_options="--apdu-delay-ms $APDU_DELAY_MS --keygen-delay-ms $KEYGEN_DELAY_MS"
PCSC_CARDSIM_OPTIONS="${PCSC_CARDSIM_OPTIONS:+$PCSC_CARDSIM_OPTIONS }$cardsim_options" pcsc_start 1 "$W/start.card" ||
  fail "pcscd and cardsim did not start"
R=${PCSC_READERS[0]}
next_serial=60000

# fresh_card: a new factory card in the reader (a new serial each time); prints nothing, sets SERIAL.
fresh_card() {
  pcsc_ctl remove 0 >/dev/null
  pcsc_wait_card "$R" no || fail "the reader still shows a card"
  next_serial=$((next_serial + 1))
  pcsc_ctl swap 0 "$next_serial" >/dev/null
  pcsc_wait_card "$R" yes || fail "no card in the reader after the swap"
  SERIAL=$next_serial
}

pin_left() { "$CARDCTL_BIN" status --reader "@$R" --json | jq -r .pin.remaining; }
block_pin() {
  local _
  for _ in 1 2 3; do yubico-piv-tool -r "$R" -a verify-pin -P 000000 >/dev/null 2>&1 || true; done
  [[ $(pin_left) == 0 ]] || fail "could not block the PIN of card $SERIAL"
}

# Measuring: between measure_start and measure_stop only the measured commands run (set-up and checks outside).
# Each measured command goes through timed, which adds its wall time to ELAPSED_NS. APDUS is the number of
# "APDU: " lines pcscd logged in between.
log_size() { stat -c %s "$LOG"; }
measure_start() {
  ELAPSED_NS=0
  LOG_FROM=$(log_size)
}
measure_stop() {
  local to
  to=$(log_size)
  APDUS=$(tail -c "+$((LOG_FROM + 1))" "$LOG" | head -c "$((to - LOG_FROM))" | grep -cE '^[0-9]+ APDU: ' || true)
}
now_ns() { local t=${EPOCHREALTIME/[.,]/}; echo "${t}000"; }
# timed OUTFILE CMD...: runs CMD (stdin from $TIMED_STDIN or empty), stdout to OUTFILE, stderr to OUTFILE.err;
# fails the benchmark when CMD fails.
TIMED_STDIN=/dev/null
timed() {
  local out=$1 t0 t1 rc=0
  shift
  t0=$(now_ns)
  "$@" <"$TIMED_STDIN" >"$out" 2>"$out.err" || rc=$?
  t1=$(now_ns)
  TIMED_STDIN=/dev/null
  ELAPSED_NS=$((ELAPSED_NS + t1 - t0))
  [[ $rc == 0 ]] || fail "'$*' exited $rc: $(head -c 2000 "$out.err") $(head -c 2000 "$out")"
}

# Results: one line per run in $W/runs: FLOW TOOL APDUS NANOSECONDS REPORTED (cardctl's own --json count, or -)
record() { echo "$1 $2 $APDUS $ELAPSED_NS ${3:--}" >>"$W/runs"; }
: >"$W/runs"
ypt() { yubico-piv-tool -r "$R" "$@"; }
json_apdus() { jq -r '.apdus // "-"' "$1"; }

for ((it = 1; it <= ITERATIONS; it++)); do
  echo "bench: iteration $it of $ITERATIONS" >&2
  # --- status (a factory card) -----------------------------------------------------------------------------------
  fresh_card
  measure_start
  timed "$W/out" "$CARDCTL_BIN" status --reader "@$R" --json
  measure_stop
  [[ $(jq -r .serial "$W/out") == "$SERIAL" ]] || fail "cardctl status: $(cat "$W/out")"
  record status cardctl "$(json_apdus "$W/out")"
  measure_start
  timed "$W/out" yubico-piv-tool -r "$R" -a status
  measure_stop
  grep -qE "Serial Number:[[:space:]]+$SERIAL" "$W/out" || fail "yubico-piv-tool status: $(cat "$W/out")"
  record status yubico-piv-tool

  # --- PUK unblock (the same factory card: PUK 12345678) ----------------------------------------------------------
  block_pin
  measure_start
  timed "$W/out" "$CARDCTL_BIN" unblock --reader "@$R" --puc --puk-file "$W/puk" --pin-file "$W/newpin" --json
  measure_stop
  [[ $(pin_left) == 3 ]] || fail "cardctl unblock --puc did not restore the PIN"
  record puk_unblock cardctl "$(json_apdus "$W/out")"
  block_pin
  measure_start
  timed "$W/out" ypt -a unblock-pin -P 12345678 -N 482917
  measure_stop
  [[ $(pin_left) == 3 ]] || fail "yubico-piv-tool unblock-pin did not restore the PIN"
  record puk_unblock yubico-piv-tool

  # --- issuance: P-256 key and certificate in 9a, on a factory card each -----------------------------------------
  fresh_card
  TIMED_STDIN=$W/issue.stdin
  printf 'Elm Primary\nOak Road\nThe Cure\n' >"$TIMED_STDIN"
  measure_start
  timed "$W/issue.json" "$CARDCTL_BIN" issue --reader "@$R" --template bench --holder "bench-$SERIAL" \
    --name "Bench Holder $SERIAL" --answer first-school --answer first-street --answer first-concert \
    --ca-cert "$W/ca.pem" --ca-key "$W/ca.key" --json
  measure_stop
  [[ $(jq -r '[.slots[].slot] | join(",")' "$W/issue.json") == 9a ]] || fail "cardctl issue: $(cat "$W/issue.json")"
  "$CARDCTL_BIN" status --reader "@$R" --json | jq -e '.slots[] | select(.slot == "9a" and .certificate != null)' \
    >/dev/null || fail "cardctl issue left no certificate in 9a"
  record issuance cardctl "$(json_apdus "$W/issue.json")"
  issued_serial=$SERIAL

  # --- offline unblock, detached (the card cardctl just issued): challenge --detach, [respond], unblock --response
  block_pin
  measure_start
  timed "$W/challenge.json" "$CARDCTL_BIN" challenge --reader "@$R" --detach --json
  # respond is the helpdesk's side (no card): neither timed nor in the APDU window's commands
  t_ns=$ELAPSED_NS
  "$CARDCTL_BIN" respond --card "$issued_serial" --challenge "$(jq -r '.challenge + " " + .check' "$W/challenge.json")" \
    --answers-file "$W/answers" --json >"$W/respond.json" || fail "cardctl respond"
  ELAPSED_NS=$t_ns
  timed "$W/unblock.json" "$CARDCTL_BIN" unblock --reader "@$R" --response \
    "$(jq -r '.response + " " + .check' "$W/respond.json")" --pin-file "$W/newpin" --json
  measure_stop
  [[ $(pin_left) == 3 ]] || fail "offline unblock did not restore the PIN"
  reported=$(($(jq -r '.apdus // 0' "$W/challenge.json") + $(jq -r '.apdus // 0' "$W/unblock.json")))
  record offline_unblock cardctl "$reported"

  # yubico-piv-tool: the same card state, step by step (PIN, PUK, admin key, CHUID, key, CA, import)
  fresh_card
  new_key=$(openssl rand -hex 24)
  subject="/CN=Bench Holder $SERIAL"
  rm -f "$W/9a.pub" "$W/9a.pem"
  openssl req -new -key "$W/ca.key" -subj "$subject" -out "$W/placeholder.csr" 2>/dev/null
  measure_start
  timed "$W/out" ypt -a change-pin -P 123456 -N 482917
  timed "$W/out" ypt -a change-puk -P 12345678 -N 73920184
  timed "$W/out" ypt --key=$DEFAULT_KEY -a set-mgm-key -n "$new_key"
  timed "$W/out" ypt --key="$new_key" -a set-chuid
  timed "$W/out" ypt --key="$new_key" -a generate -s 9a -A ECCP256 -o "$W/9a.pub"
  # The CA certifies the generated key. yubico-piv-tool 2.2.0 built with OpenSSL 3 (Debian 12) cannot sign a request
  # on the card (request-certificate and selfsign-certificate fail: Yubico/yubico-piv-tool#388), so the CA signs a
  # certificate for the public key that generate wrote (-force_pubkey; the request it is made from is signed by the
  # CA key, outside the measurement): one PIN verification and one on-card signature fewer than cardctl's request.
  timed "$W/out" openssl x509 -req -in "$W/placeholder.csr" -CA "$W/ca.pem" -CAkey "$W/ca.key" -CAcreateserial \
    -days 30 -force_pubkey "$W/9a.pub" -out "$W/9a.pem"
  timed "$W/out" ypt --key="$new_key" -a import-certificate -s 9a -i "$W/9a.pem"
  measure_stop
  "$CARDCTL_BIN" status --reader "@$R" --json | jq -e '.slots[] | select(.slot == "9a" and .certificate != null)' \
    >/dev/null || fail "yubico-piv-tool left no certificate in 9a"
  record issuance yubico-piv-tool
done

# --- the table ---------------------------------------------------------------------------------------------------
jq -R -s --argjson iterations "$ITERATIONS" --argjson apdu_delay "$APDU_DELAY_MS" \
  --argjson keygen_delay "$KEYGEN_DELAY_MS" '
  def median: sort | if length == 0 then null elif length % 2 == 1 then .[length / 2 | floor]
                     else (.[length / 2 - 1] + .[length / 2]) / 2 end;
  [split("\n")[] | select(length > 0) | split(" ")
   | {flow: .[0], tool: .[1], apdus: (.[2] | tonumber), ms: ((.[3] | tonumber) / 1e6),
      reported: (if .[4] == "-" then null else (.[4] | tonumber) end)}] as $runs
  | def tool($f; $t): [$runs[] | select(.flow == $f and .tool == $t)]
      | if length == 0 then null else
          {apdus: ([.[].apdus] | median), time_ms: ([.[].ms] | median | . * 10 | round / 10),
           apdus_runs: [.[].apdus], time_ms_runs: [.[].ms | . * 10 | round / 10],
           cardctl_reported_apdus: ([.[].reported | select(. != null)] | if length == 0 then null else median end)}
          | if $t == "cardctl" then . else del(.cardctl_reported_apdus) end
        end;
  {iterations: $iterations, apdu_delay_ms: $apdu_delay, keygen_delay_ms: $keygen_delay,
   apdus_counted_from: "pcscd --debug --apdu log (one APDU: line per command APDU)",
   time: "median wall time of the flow commands, process start-up included",
   flows: [["status", "puk_unblock", "offline_unblock", "issuance"][] as $f
     | {flow: $f, cardctl: tool($f; "cardctl"), yubico_piv_tool: tool($f; "yubico-piv-tool")}
     | .ratio = (if .yubico_piv_tool == null or .yubico_piv_tool.time_ms == 0 then null
                 else (.cardctl.time_ms / .yubico_piv_tool.time_ms * 100 | round / 100) end)
     | .apdu_ratio = (if .yubico_piv_tool == null or .yubico_piv_tool.apdus == 0 then null
                      else (.cardctl.apdus / .yubico_piv_tool.apdus * 100 | round / 100) end)]}
' "$W/runs" >"$W/result.json"

# cardctl's own count ("apdus" in its --json) should agree with pcscd's
jq -r '.flows[] | select(.cardctl.cardctl_reported_apdus != null and .cardctl.cardctl_reported_apdus != .cardctl.apdus)
  | "bench: note: \(.flow): pcscd logged \(.cardctl.apdus) APDUs, cardctl reports \(.cardctl.cardctl_reported_apdus)"' \
  "$W/result.json" >&2

echo
echo "cardctl vs yubico-piv-tool, $ITERATIONS iteration(s), cardsim --apdu-delay-ms $APDU_DELAY_MS --keygen-delay-ms $KEYGEN_DELAY_MS"
echo
jq -r '
  def v: if . == null then "-" else tostring end;
  def name: {status: "status", puk_unblock: "PUK unblock", offline_unblock: "offline unblock (detached)",
             issuance: "issuance (P-256 + certificate in 9a)"}[.];
  "| flow | cardctl APDUs | cardctl time (ms) | yubico-piv-tool APDUs | yubico-piv-tool time (ms) | ratio |",
  "|---|---:|---:|---:|---:|---:|",
  (.flows[] | "| \(.flow | name) | \(.cardctl.apdus | v) | \(.cardctl.time_ms | v) | \(.yubico_piv_tool.apdus | v) | \(.yubico_piv_tool.time_ms | v) | \(.ratio | v) |")
' "$W/result.json"
echo
echo "APDUs: counted in pcscd's log; time: median wall time; ratio: cardctl time / yubico-piv-tool time."
[[ -z $JSON_OUT ]] || cp "$W/result.json" "$JSON_OUT"
