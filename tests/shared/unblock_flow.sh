# The steps of the offline-unblock flows (docs/architecture.md#tests), one function each, shared by the CLI tier
# (tests/cli/test_unblock_*.sh, sim: cards) and the PC/SC tier (tests/pcsc/test_offline_unblock_pcsc.sh, readers of
# a private pcscd), so that both tell the same story. Source it from bash with CARDCTL_BIN set (and CARDSIM_BIN for
# sim: cards); the functions also work under set -euo pipefail.
#
#   flow_issue _fail "sim:$card" staff holder-1 --ca-cert ca.pem --ca-key ca.key
#   flow_block_pin _fail "sim:$card"
#   flow_challenge _fail "sim:$card" 20005             # FLOW_CHALLENGE: the code read out to the helpdesk
#   flow_respond _fail 20005 "$FLOW_CHALLENGE" "$ANSWERS"   # FLOW_RESPONSE: the code read back to the holder
#   flow_unblock _fail "sim:$card" "$FLOW_RESPONSE" "$PIN_FILE"
#
# READER is what cardctl takes after --reader: sim:PATH or @READER-NAME. FAIL is the caller's failure function,
# called with one message: lib.sh's _fail (the test goes on) or a PC/SC script's fail (the test stops). A step that
# fails calls it and returns 1.
#
# Every cardctl command of a step runs through flow_cardctl STDIN-TEXT ARGS..., which sets RC, OUT and ERR as
# lib.sh's run_with_stdin does. The CLI tests replace it with run_with_stdin, so that lib.sh's assertions after a
# step read that step's output and its --json document is checked against its schema.

# The holder's answers: on issue's stdin, in the order of the --answer options of flow_issue, and as respond's
# --answers-file reads them.
FLOW_ISSUE_ANSWERS=$'Elm Primary\nOak Road\nThe Cure'
FLOW_ANSWER_LINES=$'first-school: Elm Primary\nfirst-street: Oak Road\nfirst-concert: The Cure'

flow_cardctl() {
  local input=$1 err
  shift
  err=$(mktemp)
  RC=0
  if [[ -n $input ]]; then
    OUT=$("$CARDCTL_BIN" "$@" 2>"$err" <<<"$input") || RC=$?
  else
    OUT=$("$CARDCTL_BIN" "$@" 2>"$err" </dev/null) || RC=$?
  fi
  ERR=$(<"$err")
  rm -f "$err"
}

# flow_ok FAIL WHAT: the last flow_cardctl exited 0; otherwise FAIL says what failed, and it returns 1.
flow_ok() {
  [[ $RC == 0 ]] && return 0
  "$1" "$2: exit status $RC, expected 0${ERR:+: $ERR}"
  return 1
}

# flow_code DOC: the code of a challenge or respond --json document with its check, as it is read out:
# "XXXX XXXX ... CCCC".
flow_code() {
  jq -r '(.challenge // .response) + " " + .check' <<<"$1"
}

# flow_pin_left READER: the PIN tries left (prints them; no check).
flow_pin_left() {
  "$CARDCTL_BIN" status --reader "$1" --json | jq -r .pin.remaining
}

# flow_issue FAIL READER TEMPLATE HOLDER [ISSUE OPTION...]: issues the card to HOLDER with the answers above
# (--json); OUT is the issue document.
flow_issue() {
  local fail=$1 reader=$2 template=$3 holder=$4
  shift 4
  flow_cardctl "$FLOW_ISSUE_ANSWERS" issue --reader "$reader" --template "$template" --holder "$holder" \
    --answer first-school --answer first-street --answer first-concert --json "$@"
  flow_ok "$fail" "issue on $reader"
}

# flow_block_pin FAIL READER: three wrong PINs (000000), by cardsim on a sim: card file and by yubico-piv-tool in a
# PC/SC reader; then no PIN try is left.
flow_block_pin() {
  local fail=$1 reader=$2 wrong=0020008008303030303030FFFF _
  case $reader in
    sim:*) "$CARDSIM_BIN" apdu "${reader#sim:}" "$wrong" "$wrong" "$wrong" >/dev/null || true ;;
    @*) for _ in 1 2 3; do yubico-piv-tool -r "${reader#@}" -a verify-pin -P 000000 >/dev/null 2>&1 || true; done ;;
    *) "$fail" "flow_block_pin: cannot block the PIN in '$reader'"; return 1 ;;
  esac
  [[ $(flow_pin_left "$reader") == 0 ]] || { "$fail" "the PIN in $reader is not blocked"; return 1; }
}

# flow_challenge FAIL READER CARD-ID: challenge --detach --json, for the card CARD-ID; OUT is the document and
# FLOW_CHALLENGE the code with its check.
flow_challenge() {
  FLOW_CHALLENGE=
  flow_cardctl "" challenge --reader "$2" --detach --json
  flow_ok "$1" "challenge --detach on $2" || return 1
  [[ $(jq -r .card_id <<<"$OUT") == "$3" ]] || { "$1" "the challenge on $2 is not for card $3: $OUT"; return 1; }
  FLOW_CHALLENGE=$(flow_code "$OUT")
}

# flow_respond FAIL CARD-ID CHALLENGE ANSWERS-FILE: the helpdesk's respond --json; OUT is the document and
# FLOW_RESPONSE the code with its check.
flow_respond() {
  FLOW_RESPONSE=
  flow_cardctl "" respond --card "$2" --challenge "$3" --answers-file "$4" --json
  flow_ok "$1" "respond for card $2" || return 1
  FLOW_RESPONSE=$(flow_code "$OUT")
}

# flow_unblock FAIL READER RESPONSE PIN-FILE: unblock --response, the new PIN from PIN-FILE; OUT is its output. Then
# all 3 PIN tries are back.
flow_unblock() {
  flow_cardctl "" unblock --reader "$2" --response "$3" --pin-file "$4"
  flow_ok "$1" "unblock --response on $2" || return 1
  [[ $(flow_pin_left "$2") == 3 ]] || { "$1" "the unblock did not restore the PIN in $2"; return 1; }
}

# flow_detached FAIL READER CARD-ID ANSWERS-FILE PIN-FILE: the detached flow on a card whose PIN is blocked:
# challenge --detach, respond, then unblock --response in another session.
flow_detached() {
  flow_challenge "$1" "$2" "$3" || return 1
  flow_respond "$1" "$3" "$FLOW_CHALLENGE" "$4" || return 1
  flow_unblock "$1" "$2" "$FLOW_RESPONSE" "$5"
}

# flow_scripted FAIL READER CARD-ID ANSWERS-FILE NEW-PIN DIR: the scripted flow on a card whose PIN is blocked, in one
# session: challenge --json shows the code on stderr, then reads the response (with its check run on, as typed in
# one go) and the new PIN on stdin; its one JSON document on stdout is the outcome. Then all 3 PIN tries are back.
# DIR holds the pipes.
flow_scripted() {
  local fail=$1 reader=$2 id=$3 answers=$4 pin=$5 dir to from pid line shown='' code rc=0 result
  dir=$(mktemp -d "$6/scripted.XXXXXX")
  mkfifo "$dir/in" "$dir/shown"
  "$CARDCTL_BIN" challenge --reader "$reader" --json <"$dir/in" >"$dir/result" 2>"$dir/shown" &
  pid=$!
  exec {to}>"$dir/in" {from}<"$dir/shown"
  while IFS= read -r -t 20 line <&"$from"; do
    shown+=$line$'\n'
    [[ $line == Check:* ]] && break
  done
  code="$(sed -n 's/^Challenge: *//p' <<<"$shown") $(sed -n 's/^Check: *//p' <<<"$shown")"
  if flow_respond "$fail" "$id" "$code" "$answers"; then
    printf '%s\n%s\n' "$(jq -r '.response + .check' <<<"$OUT")" "$pin" >&"$to"
  fi
  exec {to}>&-
  cat <&"$from" >"$dir/err"
  exec {from}<&-
  wait "$pid" || rc=$?
  [[ $rc == 0 ]] || { "$fail" "scripted challenge on $reader failed (exit $rc): $(<"$dir/err")"; return 1; }
  result=$(<"$dir/result")
  [[ $(jq -r '[.ok, .card_id, .unblocked] | map(tostring) | join(" ")' <<<"$result") == "true $id true" ]] ||
    { "$fail" "scripted challenge on $reader did not report one document with unblocked: $result"; return 1; }
  [[ $(flow_pin_left "$reader") == 3 ]] || { "$fail" "the scripted flow did not restore the PIN in $reader"; return 1; }
}
