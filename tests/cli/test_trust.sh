#!/usr/bin/env bash
# Nobody gets around the helpdesk's limits and checks, and no fault loses a secret or a record (issue 6):
# parallel operators, blank holders, abandoned identifications, inventory and trail edits, another site's
# keystore, a failing init --force, undeliverable responses, file modes, a missing default home, a full disk.
. "$(dirname "$0")/lib.sh"

export CARDCTL_HOME=$T_ROOT/site CARDCTL_PASSPHRASE="test passphrase 1" CARDCTL_OPERATOR=helpdesk-1
POLICY=$CARDCTL_SOURCE/examples/policy.toml   # AES-192 "staff" cards; 3 responses per 30 days; lockout after 3
ANSWERS=$(secret_file answers "first-school: Elm Primary
first-street: Oak Road
favourite-teacher: Smith")
OTHER_ANSWERS=$(secret_file other "first-school: Hill School
first-street: Main Street
favourite-teacher: Jones")
WRONG=$(secret_file wrong "first-school: nope
first-street: nope
favourite-teacher: nope")

issue() {  # issue SERIAL HOLDER [ANSWER1 ANSWER2 ANSWER3]: a new issued card; sets CARD (the sim file)
  CARD=$(new_card "$1.sim" --serial "$1")
  run_with_stdin "${3:-Elm Primary}"$'\n'"${4:-Oak Road}"$'\n'"${5:-Smith}" "$CARDCTL" issue --reader "sim:$CARD" \
    --template staff --holder "$2" --answer first-school --answer first-street --answer favourite-teacher --json "${CA[@]}"
  assert_exit 0
}
challenge_of() {  # challenge_of CARD: blocks the PIN and prints a challenge code with its check
  "$CARDSIM" apdu "$1" 0020008008303030303030FFFF 0020008008303030303030FFFF 0020008008303030303030FFFF >/dev/null
  "$CARDCTL" challenge --reader "sim:$1" --detach --json | jq -r '.challenge + " " + .check'
}
respond() {  # respond ID CHALLENGE ANSWERS [options]
  local id=$1 code=$2 answers=$3
  shift 3
  "$CARDCTL" respond --card "$id" --challenge "$code" --answers-file "$answers" "$@"
}
trail_count() {  # trail_count ID ACTION OUTCOME: entries in the audit trail
  "$CARDCTL" audit show --card "$1" --action "$2" --json | jq "[.entries[] | select(.outcome == \"$3\")] | length"
}

run "$CARDCTL" init --policy "$POLICY" --scrypt-n 1024
assert_exit 0

# --- 1. parallel operators: the limit and the lockout hold, round after round ------------------------------
for round in 1 2 3; do
  issue $((41000 + round)) "par-$round"
  # eight distinct challenges (the same challenge answered twice counts once: that is not a way around the limit)
  codes=()
  for i in 1 2 3 4 5 6 7 8; do codes[i]=$(challenge_of "$CARD"); done
  pids=()
  for i in 1 2 3 4 5 6 7 8; do
    respond $((41000 + round)) "${codes[i]}" "$ANSWERS" --json >"$T_ROOT/par.$i.out" 2>"$T_ROOT/par.$i.err" &
    pids+=($!)
  done
  given=0
  for i in "${!pids[@]}"; do
    wait "${pids[$i]}" && given=$((given + 1))
  done
  T_CHECKS=$((T_CHECKS + 1))
  [[ $given == 3 ]] || _fail "round $round: $given of 8 parallel responds gave a response, the policy allows 3"
  [[ $(trail_count $((41000 + round)) respond ok) == 3 ]]
  _check $? "round $round: the trail does not record exactly 3 responses given"
  [[ $(grep -l '"response"' "$T_ROOT"/par.*.out | wc -l) == 3 ]]
  _check $? "round $round: not exactly 3 responses were printed"
  grep -hq "offline unblocks in the last 30 days\|another operator is answering\|locked out" "$T_ROOT"/par.*.err
  _check $? "round $round: the refused operators were not told why"
done

# more rounds on the first card and holder: the limit is used up, nobody gets a fourth
for round in 4 5; do
  for i in 1 2 3 4 5 6 7 8; do codes[i]=$(challenge_of "$T_ROOT/cards/41001.sim"); done
  pids=()
  for i in 1 2 3 4 5 6 7 8; do
    respond 41001 "${codes[i]}" "$ANSWERS" --json >/dev/null 2>&1 &
    pids+=($!)
  done
  given=0
  for p in "${pids[@]}"; do wait "$p" && given=$((given + 1)); done
  [[ $given == 0 ]]
  _check $? "round $round on a card whose limit is used up: $given responses given"
done
[[ $(trail_count 41001 respond ok) == 3 && $(trail_count 41001 respond reserved) == 3 ]]
_check $? "card 41001: the trail does not record exactly 3 responses"

issue 41010 par-wrong
code=$(challenge_of "$CARD")
pids=()
for i in 1 2 3 4 5 6 7 8; do
  respond 41010 "$code" "$WRONG" >/dev/null 2>&1 &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
[[ $(trail_count 41010 identify started) == 3 ]]
_check $? "8 parallel wrong identifications: not exactly 3 were checked (lockout after 3)"
[[ $(trail_count 41010 respond ok) == 0 ]]
_check $? "a wrong identification was answered"

# --- 2. blank holders ----------------------------------------------------------------------------------------
blank=$(new_card blank.sim --serial 41020)
for holder in '' '   '; do
  run_with_stdin $'a\nb\nc' "$CARDCTL" issue --reader "sim:$blank" --template staff --holder "$holder" \
    --answer first-school --answer first-street --answer favourite-teacher
  assert_exit 2
  assert_stderr_contains "the holder id is empty"
  assert_error_with_hint
done
run "$CARDCTL" audit show --card 41020 --json
assert_json '.entries | length' 0

# --- 3. no re-roll: the questions are recorded before they are asked; a hang-up counts as a failure ----------
issue 41030 reroll
code=$(challenge_of "$CARD")
for i in 1 2 3; do
  run "$CARDCTL" respond --card 41030 --challenge "$code"   # stdin is empty: the caller hung up
  assert_exit 2
done
[[ $(trail_count 41030 identify started) == 3 ]]
_check $? "abandoned identifications were not recorded"
grep -q '"action":"identify".*"questions":"[a-z-]*,[a-z-]*"' "$CARDCTL_HOME/audit.log"
_check $? "the questions asked are not in the trail"
run respond 41030 "$code" "$ANSWERS"
assert_exit 6
assert_stderr_contains "locked out"
run respond 41010 "$code" "$WRONG"   # any wrong answer: not how many
assert_stderr_not_matches "[0-9] answer"

# --- 4. inventory and trail edits are found, and refused where they matter ------------------------------------
DB=$CARDCTL_HOME/inventory.db
cp "$DB" "$T_ROOT/inventory.good"
issue 41040 alice
alice_code=$(challenge_of "$CARD")
issue 41041 mallory "Hill School" "Main Street" "Jones"
run "$CARDCTL" audit verify --json
assert_exit 0
assert_json '.ok' true
backup() { sqlite3 "$DB" ".backup '$T_ROOT/inv.bak'"; }
restore() { rm -f "$DB-wal" "$DB-shm"; cp "$T_ROOT/inv.bak" "$DB"; chmod 600 "$DB"; }
backup
sqlite3 "$DB" "UPDATE security_answers SET salt = (SELECT salt FROM security_answers s WHERE s.holder_id = 'mallory' AND s.question_id = security_answers.question_id), hash = (SELECT hash FROM security_answers s WHERE s.holder_id = 'mallory' AND s.question_id = security_answers.question_id) WHERE holder_id = 'alice'"
run respond 41040 "$alice_code" "$OTHER_ANSWERS"
assert_exit 8
assert_stderr_contains "was changed outside cardctl"
assert_stdout_empty
run "$CARDCTL" audit verify
assert_exit 6
assert_stderr_contains "holder alice"
restore
sqlite3 "$DB" "UPDATE cards SET state = 'pending' WHERE card_id = '41040'"
run "$CARDCTL" audit verify --json
assert_exit 6
assert_json '.problem | test("card 41040")' true
restore
sqlite3 "$DB" "DELETE FROM cards WHERE card_id = '41041'; DELETE FROM escrowed_puks WHERE card_id = '41041'"
run "$CARDCTL" audit verify
assert_exit 6
assert_stderr_contains "41041"
restore
# the trail cut and the head rewritten to match: the head's MAC gives it away; respond refuses to count
cp "$CARDCTL_HOME/audit.log" "$T_ROOT/audit.bak"
head -n -4 "$T_ROOT/audit.bak" >"$CARDCTL_HOME/audit.log"
last=$(tail -n 1 "$CARDCTL_HOME/audit.log")
sqlite3 "$DB" "UPDATE meta SET value = '$(( $(wc -l <"$CARDCTL_HOME/audit.log") )) $(printf '%s' "$last" | sha256sum | cut -d' ' -f1)' WHERE key = 'audit_head'"
run "$CARDCTL" audit verify
assert_exit 8
assert_stderr_contains "the audit trail's head"
run respond 41040 "$alice_code" "$ANSWERS"
assert_exit 8
assert_stdout_empty
# the trail and the inventory's record of it both deleted: not a fresh start either
rm "$CARDCTL_HOME/audit.log"
sqlite3 "$DB" "DELETE FROM meta WHERE key = 'audit_head'"
run respond 41040 "$alice_code" "$ANSWERS"
assert_exit 8
assert_stderr_contains "no record of the audit trail's last entry"
run "$CARDCTL" audit verify
assert_exit 8
cp "$T_ROOT/audit.bak" "$CARDCTL_HOME/audit.log"
restore
run respond 41040 "$alice_code" "$ANSWERS" --json
assert_exit 0
# an emptied or deleted inventory is an error, never a fresh start
backup
: >"$DB"; rm -f "$DB-wal" "$DB-shm"
run respond 41040 "$alice_code" "$ANSWERS"
assert_exit 8
assert_stderr_contains "is empty"
assert_error_with_hint
rm -f "$DB"
run respond 41040 "$alice_code" "$ANSWERS"
assert_exit 8
assert_stderr_contains "is missing"
[[ ! -e $DB ]]
_check $? "a deleted inventory was recreated"
restore

# --- 6. another installation's keystore, same passphrase ----------------------------------------------------
CARDCTL_HOME=$T_ROOT/site2 "$CARDCTL" init --policy "$POLICY" --scrypt-n 1024 >/dev/null 2>&1
cp "$CARDCTL_HOME/keystore" "$T_ROOT/keystore.mine"
cp "$T_ROOT/site2/keystore" "$CARDCTL_HOME/keystore"
run respond 41040 "$alice_code" "$ANSWERS"
assert_exit 8
assert_stderr_contains "belongs to another installation"
assert_error_with_hint
cp "$T_ROOT/keystore.mine" "$CARDCTL_HOME/keystore"

# --- 12. file modes: 0600 by construction; a keystore or inventory open to others is refused ----------------
for f in keystore inventory.db inventory.db-wal audit.log policy.toml; do
  [[ ! -e $CARDCTL_HOME/$f || $(stat -c %a "$CARDCTL_HOME/$f") == 600 ]]
  _check $? "$f is not 0600"
done
[[ $(stat -c %a "$CARDCTL_HOME") == 700 ]]
_check $? "the installation directory is not 0700"
chmod 644 "$CARDCTL_HOME/keystore"
run respond 41040 "$alice_code" "$ANSWERS"
assert_exit 8
assert_stderr_contains "open to other users"
assert_stderr_contains "chmod 600 $CARDCTL_HOME/keystore"
chmod 600 "$CARDCTL_HOME/keystore"
chmod 640 "$DB"
run respond 41040 "$alice_code" "$ANSWERS"
assert_exit 8
assert_stderr_contains "chmod 600 $DB"
chmod 600 "$DB"

# --- 15. a scrypt cost edited into the inventory ------------------------------------------------------------
backup
sqlite3 "$DB" "UPDATE security_answers SET n = 1073741824 WHERE holder_id = 'alice'"
run respond 41040 "$alice_code" "$ANSWERS"
assert_exit 8
assert_stderr_not_contains "OpenSSL"
assert_error_with_hint
restore

# --- 9. a response that cannot be written out is not given, not counted, and audited as undelivered ---------
left() { respond 41041 "$1" "$OTHER_ANSWERS" --json | jq .unblocks_left_in_period; }
mallory_code=$(challenge_of "$T_ROOT/cards/41041.sim")
run respond 41041 "$mallory_code" "$OTHER_ANSWERS" --json
assert_exit 0
assert_json '.unblocks_left_in_period' 2
assert_json '.holder_id' mallory
respond 41041 "$mallory_code" "$OTHER_ANSWERS" --json >/dev/full 2>"$T_ROOT/full.err"
rc=$?
[[ $rc == 8 ]]
_check $? "respond >/dev/full exited $rc, expected 8"
[[ $(trail_count 41041 respond undelivered) == 1 ]]
_check $? "the undeliverable response is not audited as undelivered"
[[ $(trail_count 41041 respond ok) == 1 ]]
_check $? "the undeliverable response was audited as given"
respond 41041 "$mallory_code" "$OTHER_ANSWERS" --json >&- 2>"$T_ROOT/closed.err"
rc=$?
[[ $rc == 8 && $(trail_count 41041 respond undelivered) == 2 && $(trail_count 41041 respond ok) == 1 ]]
_check $? "respond >&- exited $rc; a response to a closed stdout must be undelivered, not given"
grep -q "could not be written out" "$T_ROOT/closed.err"
_check $? "respond >&- did not say the response could not be written: $(cat "$T_ROOT/closed.err")"
run respond 41041 "$mallory_code" "$OTHER_ANSWERS" --json
assert_json '[.unblocks_left_in_period, .repeated] | map(tostring) | join(" ")' "2 true"   # the same challenge counts once

# --- 7. a holder's tool re-keys the card with a response's admin session; the next correct response is rejected
issue 41060 rekey
code=$(challenge_of "$CARD")
r=$(respond 41060 "$code" "$ANSWERS" --json | jq -r '.response' | tr -d ' ')
# GENERAL AUTHENTICATE with the response (AES-192: algorithm 0A), then SET MANAGEMENT KEY (YubiKey FF) to 24 bytes of 11
"$CARDSIM" apdu "$CARD" "00870A9B147C128210$r" "00FFFFFF1B0A9B18$(printf '11%.0s' {1..24})" >"$T_ROOT/rekey.out" 2>&1
[[ $(grep -c '^9000$' "$T_ROOT/rekey.out") == 2 ]]
_check $? "the test could not re-key the card: $(cat "$T_ROOT/rekey.out")"
code=$("$CARDCTL" challenge --reader "sim:$CARD" --detach --json | jq -r '.challenge + " " + .check')
good=$(respond 41060 "$code" "$ANSWERS" --json | jq -r '.response + " " + .check')
PIN=$(secret_file pin 482917)
run "$CARDCTL" unblock --reader "sim:$CARD" --response "$good" --pin-file "$PIN"
assert_exit 4
assert_stderr_contains "read out correctly"
assert_stderr_contains "re-keyed"
assert_stderr_contains "cardctl respond --card 41060 --report-rejected"
run "$CARDCTL" respond --card 41060 --report-rejected --json
assert_exit 0
assert_json '.rejected_reports' 1
code=$("$CARDCTL" challenge --reader "sim:$CARD" --detach --json | jq -r '.challenge + " " + .check')
run respond 41060 "$code" "$ANSWERS" --json
assert_exit 0
assert_json '.rejected_reports' 1
assert_stderr_contains "its admin key may have been changed"
[[ $(trail_count 41060 respond rejected-by-card) == 1 ]]
_check $? "the rejected response is not in the trail"

# --- 8. a failing init --force leaves the installation as it was; a successful one keeps the old aside -------
sum=$(cat "$CARDCTL_HOME/keystore" "$DB" "$CARDCTL_HOME/audit.log" | sha256sum)
CARDCTL_PASSPHRASE=short run "$CARDCTL" init --policy "$POLICY" --scrypt-n 1024 --force
assert_exit 2
[[ $(cat "$CARDCTL_HOME/keystore" "$DB" "$CARDCTL_HOME/audit.log" | sha256sum) == "$sum" ]]
_check $? "a failed init --force changed the installation"
ls -d "$CARDCTL_HOME".new-* >/dev/null 2>&1
[[ $? != 0 ]]
_check $? "a failed init --force left a half-made directory"
run respond 41040 "$alice_code" "$ANSWERS" --json
assert_exit 0
run "$CARDCTL" init --policy "$POLICY" --scrypt-n 1024 --force
assert_exit 0
assert_stderr_contains "is kept in $CARDCTL_HOME.replaced-"
kept=$(ls -d "$CARDCTL_HOME".replaced-* | head -n 1)
CARDCTL_HOME=$kept run respond 41040 "$alice_code" "$ANSWERS" --json
assert_exit 0   # the old installation, kept aside, still serves the cards issued under it
assert_json '[.unblocks_left_in_period, .repeated] | map(tostring) | join(" ")' "2 true"   # alice_code, counted once
run respond 41040 "$alice_code" "$ANSWERS"
assert_exit 6
assert_stderr_contains "not in the inventory"

# --- 16. the default home is created with its parents ----------------------------------------------------------
(
  unset CARDCTL_HOME XDG_DATA_HOME
  export HOME=$T_ROOT/fresh-home
  mkdir -p "$HOME"
  run "$CARDCTL" init --policy "$POLICY" --scrypt-n 1024
  assert_exit 0
  [[ $(stat -c %a "$HOME/.local/share/cardctl") == 700 ]]
  _check $? "the default home is not 0700"
  [[ -f $HOME/.local/share/cardctl/keystore ]]
  _check $? "no keystore in the default home"
  finish
) || T_FAILED=$((T_FAILED + 1))

# --- 17. a full disk under the inventory is called a full disk -------------------------------------------------
FULL=$T_ROOT/full
mkdir -p "$FULL"
if mount -t tmpfs -o size=1M cardctl-full "$FULL" 2>/dev/null; then
  trap 'umount "$FULL" 2>/dev/null; rm -rf "$T_ROOT"' EXIT
  CARDCTL_HOME=$FULL/site run "$CARDCTL" init --policy "$POLICY" --scrypt-n 1024
  assert_exit 0
  fill=$(new_card full.sim --serial 41070)
  run_with_stdin $'a a\nb b\nc c' env CARDCTL_HOME="$FULL/site" "$CARDCTL" issue --reader "sim:$fill" --template staff \
    --holder full --answer first-school --answer first-street --answer favourite-teacher "${CA[@]}"
  assert_exit 0
  dd if=/dev/zero of="$FULL/filler" bs=4k 2>/dev/null
  code=$(challenge_of "$fill")
  CARDCTL_HOME=$FULL/site run respond 41070 "$code" "$ANSWERS"
  assert_exit 8
  assert_stdout_empty
  assert_stderr_matches "full|No space left"
  assert_stderr_not_contains "disk I/O error"
  echo "full disk: $ERR"
  rm -f "$FULL/filler"
  umount "$FULL"
else
  _fail "cannot mount a tmpfs to fill (needs root): the full-disk case was not tested"
fi

finish
