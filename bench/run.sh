#!/bin/bash
# cardctl against yubico-piv-tool on the reference card (cardsim) through a private pcscd: APDUs counted from
# pcscd's own log (--debug --apdu: one "APDU: ..." line per command APDU sent to the card) and wall time of the
# commands, median over --iterations. See bench/README.md.
#
#   bench/run.sh [--iterations N] [--profile none|yubikey5] [--apdu-delay-ms N] [--keygen-delay-ms N]
#                [--batch-readers "1 2 4 8"] [--batch-size N] [--json FILE]
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
PROFILE=none
APDU_DELAY_MS=
KEYGEN_DELAY_MS=
BATCH_READERS="1 2 4 8"
BATCH_SIZE=12
JSON_OUT=
while (($#)); do
  case $1 in
    --iterations) ITERATIONS=${2:?}; shift 2 ;;
    --apdu-delay-ms) APDU_DELAY_MS=${2:?}; shift 2 ;;
    --keygen-delay-ms) KEYGEN_DELAY_MS=${2:?}; shift 2 ;;
    --profile) PROFILE=${2:?}; shift 2 ;;
    --batch-readers) BATCH_READERS=${2?}; shift 2 ;;
    --batch-size) BATCH_SIZE=${2:?}; shift 2 ;;
    --json) JSON_OUT=${2:?}; shift 2 ;;
    -h | --help) usage ;;
    *) echo "bench: unknown argument '$1'" >&2; usage ;;
  esac
done
for n in "$ITERATIONS" ${APDU_DELAY_MS:-0} ${KEYGEN_DELAY_MS:-0} "$BATCH_SIZE" $BATCH_READERS; do
  [[ $n =~ ^[0-9]+$ ]] || { echo "bench: '$n' is not a number" >&2; exit 2; }
done
MAX_READERS=1
for n in $BATCH_READERS; do
  ((n >= 1 && n <= 8)) || { echo "bench: --batch-readers takes 1 to 8 readers, not $n" >&2; exit 2; }
  ((n > MAX_READERS)) && MAX_READERS=$n
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

start_cards=()
for ((i = 0; i < MAX_READERS; i++)); do
  "$CARDSIM_BIN" create "$W/start-$i.card" --serial $((59000 + i)) >/dev/null 2>&1
  start_cards+=("$W/start-$i.card")
done
cardsim_options="--profile $PROFILE${APDU_DELAY_MS:+ --apdu-delay-ms $APDU_DELAY_MS}${KEYGEN_DELAY_MS:+ --keygen-delay-ms $KEYGEN_DELAY_MS}"
PCSC_CARDSIM_OPTIONS="${PCSC_CARDSIM_OPTIONS:+$PCSC_CARDSIM_OPTIONS }$cardsim_options" \
  pcsc_start $(((MAX_READERS + 1) / 2)) "${start_cards[@]}" || fail "pcscd and cardsim did not start"
R=${PCSC_READERS[0]}
next_serial=60000

# swap_in I: takes the card out of reader I and puts a new factory card in (a new serial each time: SERIAL_IN[I]);
# returns once pcscd has seen the reader empty, not waiting for the new card to show.
SERIAL_IN=()
swap_in() {
  local serial=${2:-}
  pcsc_ctl remove "$1" >/dev/null
  pcsc_wait_card "${PCSC_READERS[$1]}" no || fail "reader $1 still shows a card"
  if [[ -z $serial ]]; then
    next_serial=$((next_serial + 1))
    serial=$next_serial
  fi
  pcsc_ctl swap "$1" "$serial" >/dev/null
  SERIAL_IN[$1]=$serial
}
# fresh_cards N: a new factory card in each of the first N readers, shown by pcscd.
fresh_cards() {
  local i
  for ((i = 0; i < $1; i++)); do swap_in "$i"; done
  for ((i = 0; i < $1; i++)); do pcsc_wait_card "${PCSC_READERS[i]}" yes || fail "no card in reader $i"; done
}
# fresh_card: a new factory card in reader 0, shown by pcscd; prints nothing, sets SERIAL.
fresh_card() {
  fresh_cards 1
  SERIAL=${SERIAL_IN[0]}
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
: >"$W/phases"  # one line per respond: NANOSECONDS, then "keystore 12.3 ms, inventory 1.2 ms, ..."
ypt() { yubico-piv-tool -r "$R" "$@"; }
json_apdus() { jq -r '.apdus // "-"' "$1"; }

# ypt_issue I RUNNER: issues the factory card in reader I as yubico-piv-tool users script it: PIN, PUK, admin key,
# CHUID, a P-256 key in 9a, the CA's certificate for it, imported. RUNNER is timed (the single issuance) or
# run_step (inside a batch, timed as a whole).
run_step() {
  local out=$1
  shift
  "$@" </dev/null >"$out" 2>"$out.err" || fail "'$*' exited $?: $(head -c 2000 "$out.err")"
}
ypt_issue() {
  local i=$1 run=$2 reader=${PCSC_READERS[$1]} d="$W/ypt-$1" new_key
  mkdir -p "$d"
  new_key=$(openssl rand -hex 24)
  rm -f "$d/9a.pub" "$d/9a.pem"
  openssl req -new -key "$W/ca.key" -subj "/CN=Bench Holder ${SERIAL_IN[$i]:-$i}" -out "$d/placeholder.csr" 2>/dev/null
  $run "$d/out" yubico-piv-tool -r "$reader" -a change-pin -P 123456 -N 482917
  $run "$d/out" yubico-piv-tool -r "$reader" -a change-puk -P 12345678 -N 73920184
  $run "$d/out" yubico-piv-tool -r "$reader" --key=$DEFAULT_KEY -a set-mgm-key -n "$new_key"
  $run "$d/out" yubico-piv-tool -r "$reader" --key="$new_key" -a set-chuid
  $run "$d/out" yubico-piv-tool -r "$reader" --key="$new_key" -a generate -s 9a -A ECCP256 -o "$d/9a.pub"
  # The CA certifies the generated key. yubico-piv-tool 2.2.0 built with OpenSSL 3 (Debian 12) cannot sign a request
  # on the card (request-certificate and selfsign-certificate fail: Yubico/yubico-piv-tool#388), so the CA signs a
  # certificate for the public key that generate wrote (-force_pubkey; the request it is made from is signed by the
  # CA key, outside the measurement): one PIN verification and one on-card signature fewer than cardctl's request.
  $run "$d/out" openssl x509 -req -in "$d/placeholder.csr" -CA "$W/ca.pem" -CAkey "$W/ca.key" \
    -CAserial "$d/ca.srl" -CAcreateserial -days 30 -force_pubkey "$d/9a.pub" -out "$d/9a.pem"
  $run "$d/out" yubico-piv-tool -r "$reader" --key="$new_key" -a import-certificate -s 9a -i "$d/9a.pem"
}

# Batches: BATCH_SIZE factory cards over the first N readers, each card swapped for a new one as soon as it is
# done (remove, pcscd sees the reader empty, a new card goes in), the same for both tools. Wall time of the whole
# batch, the swaps included; APDUs from pcscd's log.
batch_cardctl() {
  local n=$1 it=$2 csv="$W/batch-$1-$2.csv" k i started line reader bpid
  echo "holder,name,email,template" >"$csv"
  for ((k = 1; k <= BATCH_SIZE; k++)); do echo "b$it-$n-$k,Batch Holder $k,,bench" >>"$csv"; done
  fresh_cards "$n"
  local readers=()
  for ((i = 0; i < n; i++)); do readers+=(--readers "${PCSC_READERS[i]}"); done
  : >"$W/batch.err"
  measure_start
  local t0 t1
  t0=$(now_ns)
  "$CARDCTL_BIN" issue --batch "$csv" "${readers[@]}" --ca-cert "$W/ca.pem" --ca-key "$W/ca.key" --json \
    >"$W/batch.json" 2>"$W/batch.err" </dev/null &
  bpid=$!
  started=$n
  local swaps=()
  # Each "READER: card C issued to holder H" line frees a reader: a new card goes in while holders are left.
  while IFS= read -r line; do
    [[ $line == *": card "*" issued to holder "* ]] || continue
    reader=${line%%: card *}
    ((started < BATCH_SIZE)) || continue
    for ((i = 0; i < n; i++)); do
      [[ ${PCSC_READERS[i]} == "$reader" ]] || continue
      # in the background, so that the readers' swaps overlap as with one person (or robot) per reader
      next_serial=$((next_serial + 1))
      swap_in "$i" "$next_serial" &
      swaps+=($!)
      started=$((started + 1))
    done
  done < <(tail -n +1 -f --pid="$bpid" "$W/batch.err")
  wait "$bpid" || fail "cardctl issue --batch on $n reader(s) exited $?: $(tail -c 2000 "$W/batch.err")"
  for p in "${swaps[@]}"; do wait "$p" || fail "a card swap failed"; done
  t1=$(now_ns)
  measure_stop
  ELAPSED_NS=$((t1 - t0))
  [[ $(jq '[.holders[] | select(.outcome == "issued")] | length' "$W/batch.json") == "$BATCH_SIZE" ]] ||
    fail "cardctl issue --batch on $n reader(s) did not issue $BATCH_SIZE cards: $(cat "$W/batch.json")"
}
batch_ypt() {
  local n=$1 i t0 t1 pids=()
  fresh_cards "$n"
  rm -f "$W/ypt-failed"
  measure_start
  t0=$(now_ns)
  for ((i = 0; i < n; i++)); do
    (  # reader i takes cards i, i+n, i+2n, ... ; its own serials, since the readers run at once
      trap 'touch "$W/ypt-failed"' ERR
      share=$(((BATCH_SIZE - i + n - 1) / n))
      for ((k = 0; k < share; k++)); do
        ((k == 0)) || { swap_in "$i" $((80000 + 1000 * i + k)); pcsc_wait_card "${PCSC_READERS[i]}" yes; }
        ypt_issue "$i" run_step
      done
    ) &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || touch "$W/ypt-failed"; done
  t1=$(now_ns)
  measure_stop
  ELAPSED_NS=$((t1 - t0))
  [[ ! -e $W/ypt-failed ]] || fail "the yubico-piv-tool batch on $n reader(s) failed"
}

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
  # respond is the helpdesk's side (no card): timed on its own, with its time by phase (--verbose), outside the
  # flow's time
  t_ns=$ELAPSED_NS
  ELAPSED_NS=0
  timed "$W/respond.json" "$CARDCTL_BIN" respond --card "$issued_serial" --verbose --json \
    --challenge "$(jq -r '.challenge + " " + .check' "$W/challenge.json")" --answers-file "$W/answers"
  respond_ns=$ELAPSED_NS
  phases=$(sed -n 's/^cardctl: time by phase: //p' "$W/respond.json.err")
  [[ -n $phases ]] || fail "cardctl respond --verbose printed no time by phase: $(cat "$W/respond.json.err")"
  echo "$respond_ns $phases" >>"$W/phases"
  ELAPSED_NS=$t_ns
  timed "$W/unblock.json" "$CARDCTL_BIN" unblock --reader "@$R" --response \
    "$(jq -r '.response + " " + .check' "$W/respond.json")" --pin-file "$W/newpin" --json
  measure_stop
  [[ $(pin_left) == 3 ]] || fail "offline unblock did not restore the PIN"
  reported=$(($(jq -r '.apdus // 0' "$W/challenge.json") + $(jq -r '.apdus // 0' "$W/unblock.json")))
  record offline_unblock cardctl "$reported"

  # yubico-piv-tool: the same card state, step by step (PIN, PUK, admin key, CHUID, key, CA, import)
  fresh_card
  measure_start
  ypt_issue 0 timed
  measure_stop
  "$CARDCTL_BIN" status --reader "@$R" --json | jq -e '.slots[] | select(.slot == "9a" and .certificate != null)' \
    >/dev/null || fail "yubico-piv-tool left no certificate in 9a"
  record issuance yubico-piv-tool

  # --- batches of BATCH_SIZE on 1, 2, 4 and 8 readers ---------------------------------------------------------------
  for n in $BATCH_READERS; do
    batch_cardctl "$n" "$it"
    record "batch_$n" cardctl
    batch_ypt "$n"
    record "batch_$n" yubico-piv-tool
  done
done

# --- the table ---------------------------------------------------------------------------------------------------
# The protocol minimum of each flow, in APDUs (bench/README.md derives them): what a tool that knows nothing of the
# card beforehand must send for the same result.
batch_flows=$(for n in $BATCH_READERS; do printf '"batch_%s",' "$n"; done)
jq -R -s --argjson iterations "$ITERATIONS" --arg profile "$PROFILE" --arg apdu_delay "${APDU_DELAY_MS:-}" \
  --arg keygen_delay "${KEYGEN_DELAY_MS:-}" --argjson batch_size "$BATCH_SIZE" \
  --argjson flow_names "[\"status\",\"puk_unblock\",\"offline_unblock\",\"issuance\",${batch_flows%,}]" \
  --rawfile phases "$W/phases" '
  def median: sort | if length == 0 then null elif length % 2 == 1 then .[length / 2 | floor]
                     else (.[length / 2 - 1] + .[length / 2]) / 2 end;
  def r1: . * 10 | round / 10;
  def minimum($f): {status: 16, puk_unblock: 2, offline_unblock: 8, issuance: 14}[$f]
                   // (if ($f | startswith("batch_")) then 14 * $batch_size else null end);
  [split("\n")[] | select(length > 0) | split(" ")
   | {flow: .[0], tool: .[1], apdus: (.[2] | tonumber), ms: ((.[3] | tonumber) / 1e6),
      reported: (if .[4] == "-" then null else (.[4] | tonumber) end)}] as $runs
  | def tool($f; $t): [$runs[] | select(.flow == $f and .tool == $t)]
      | if length == 0 then null else
          {apdus: ([.[].apdus] | median), time_ms: ([.[].ms] | median | r1),
           apdus_runs: [.[].apdus], time_ms_runs: [.[].ms | r1],
           cardctl_reported_apdus: ([.[].reported | select(. != null)] | if length == 0 then null else median end)}
          | if $t == "cardctl" then . else del(.cardctl_reported_apdus) end
        end;
  ([$phases | split("\n")[] | select(length > 0)
    | (split(" ")[0] | tonumber / 1e6) as $total
    | [ltrimstr(split(" ")[0] + " ") | split(", ")[] | split(" ") | {key: .[0], value: (.[1] | tonumber)}]
    | from_entries + {total: $total}]) as $splits
  | {iterations: $iterations, profile: $profile,
     apdu_delay_ms: (if $apdu_delay == "" then null else ($apdu_delay | tonumber) end),
     keygen_delay_ms: (if $keygen_delay == "" then null else ($keygen_delay | tonumber) end),
     batch_size: $batch_size,
     apdus_counted_from: "pcscd --debug --apdu log (one APDU: line per command APDU)",
     time: "median wall time of the flow commands, process start-up included; a batch: the whole batch, card swaps included",
     flows: [$flow_names[] as $f
       | {flow: $f, minimum_apdus: minimum($f), cardctl: tool($f; "cardctl"), yubico_piv_tool: tool($f; "yubico-piv-tool")}
       | .ratio = (if .yubico_piv_tool == null or .yubico_piv_tool.time_ms == 0 then null
                   else (.cardctl.time_ms / .yubico_piv_tool.time_ms * 100 | round / 100) end)
       | .apdu_ratio = (if .yubico_piv_tool == null or .yubico_piv_tool.apdus == 0 then null
                        else (.cardctl.apdus / .yubico_piv_tool.apdus * 100 | round / 100) end)],
     respond: (if ($splits | length) == 0 then null else
       {time_ms: ([$splits[].total] | median | r1),
        phases_ms: ([$splits[] | keys[]] | unique - ["total"]
                    | map({key: ., value: ([$splits[][.] // 0] | median | . * 100 | round / 100)}) | from_entries)}
       | .phases_ms.other = ((.time_ms - ([.phases_ms[]] | add)) | r1) end)}
  | .batch = [.flows[] | select(.flow | startswith("batch_"))
      | {readers: (.flow | ltrimstr("batch_") | tonumber),
         cardctl_cards_per_min: ($batch_size / .cardctl.time_ms * 60000 | r1),
         yubico_piv_tool_cards_per_min: ($batch_size / .yubico_piv_tool.time_ms * 60000 | r1)}]
  | (.batch[] | select(.readers == 1) | .cardctl_cards_per_min) as $one
  | (.batch[] | select(.readers == 1) | .yubico_piv_tool_cards_per_min) as $one_ypt
  | .batch |= map(.cardctl_scaling = (if $one == null then null else (.cardctl_cards_per_min / $one * 100 | round / 100) end)
                  | .yubico_piv_tool_scaling = (if $one_ypt == null then null else (.yubico_piv_tool_cards_per_min / $one_ypt * 100 | round / 100) end)
                  | .throughput_ratio = (.cardctl_cards_per_min / .yubico_piv_tool_cards_per_min * 100 | round / 100))
' "$W/runs" >"$W/result.json"

# cardctl's own count ("apdus" in its --json) should agree with pcscd's
jq -r '.flows[] | select(.cardctl.cardctl_reported_apdus != null and .cardctl.cardctl_reported_apdus != .cardctl.apdus)
  | "bench: note: \(.flow): pcscd logged \(.cardctl.apdus) APDUs, cardctl reports \(.cardctl.cardctl_reported_apdus)"' \
  "$W/result.json" >&2

echo
export BATCH_SIZE
echo "cardctl vs yubico-piv-tool, $ITERATIONS iteration(s), cardsim $cardsim_options, batches of $BATCH_SIZE"
echo
jq -r '
  def v: if . == null then "-" else tostring end;
  def name: if startswith("batch_") then "batch of \($ENV.BATCH_SIZE), \(ltrimstr("batch_")) reader(s)" else
    {status: "status", puk_unblock: "PUK unblock", offline_unblock: "offline unblock (detached)",
     issuance: "issuance (P-256 + certificate in 9a)"}[.] end;
  "| flow | cardctl APDUs | cardctl time (ms) | yubico-piv-tool APDUs | yubico-piv-tool time (ms) | ratio | protocol minimum |",
  "|---|---:|---:|---:|---:|---:|---:|",
  (.flows[] | "| \(.flow | name) | \(.cardctl.apdus | v) | \(.cardctl.time_ms | v) | \(.yubico_piv_tool.apdus | v) | \(.yubico_piv_tool.time_ms | v) | \(.ratio | v) | \(.minimum_apdus | v) |"),
  "",
  (if (.batch | length) > 0 then
    "| readers | cardctl cards/min | yubico-piv-tool cards/min | cardctl / yubico-piv-tool | cardctl scaling | yubico-piv-tool scaling |",
    "|---:|---:|---:|---:|---:|---:|",
    (.batch[] | "| \(.readers) | \(.cardctl_cards_per_min) | \(.yubico_piv_tool_cards_per_min) | \(.throughput_ratio) | \(.cardctl_scaling | v) | \(.yubico_piv_tool_scaling | v) |"),
    "" else empty end),
  (if .respond != null then
    "respond (helpdesk, no card): \(.respond.time_ms) ms; by phase: " +
    ([.respond.phases_ms | to_entries[] | "\(.key) \(.value) ms"] | join(", ")), "" else empty end)
' "$W/result.json"
echo "APDUs: counted in pcscd's log; time: median wall time; ratio: cardctl time / yubico-piv-tool time;"
echo "scaling: cards/min on N readers over cards/min on 1."
[[ -z $JSON_OUT ]] || cp "$W/result.json" "$JSON_OUT"
