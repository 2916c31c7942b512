#!/usr/bin/env bash
# The offline-unblock story through the real cardctl on sim: cards (issue 3): init, issue, a blocked PIN,
# challenge, respond, unblock — in the detached, scripted and interactive (pseudo-terminal) flows, for TDES and
# AES cards — and what goes wrong: a wrong response, mistyped challenges, a card removed between challenge and
# unblock, the helpdesk's refusals, a tampered audit trail.
. "$(dirname "$0")/lib.sh"

export CARDCTL_HOME=$T_ROOT/site CARDCTL_PASSPHRASE="test passphrase 1" CARDCTL_OPERATOR=helpdesk-1

# A policy with a TDES and an AES template that allow offline unblock, and one that does not.
POLICY=$T_ROOT/policy.toml
sed 's/^\[templates.yubikey\]/[templates.legacy]\nadmin_key = { algorithm = "tdes", diversify = true }\n\n[templates.yubikey]/' \
  "$CARDCTL_SOURCE/examples/policy.toml" >"$POLICY"
ANSWERS=$(secret_file answers "first-school: Elm Primary
first-street: Oak Road
first-concert: The Cure")
WRONG=$(secret_file wrong "first-school: nope
first-street: nope
first-concert: nope")
PIN=$(secret_file pin 482917)

run "$CARDCTL" init --policy "$POLICY" --scrypt-n 1024 --json
assert_exit 0
assert_json '.key_version' 1
run "$CARDCTL" init --policy "$POLICY" --scrypt-n 1024
assert_exit 9
assert_stderr_contains "an installation already exists"

issue() {  # issue CARD TEMPLATE HOLDER: issues the card, prints its first PIN
  run_with_stdin $'Elm Primary\nOak Road\nThe Cure' "$CARDCTL" issue --reader "sim:$1" --template "$2" \
    --holder "$3" --name "Holder $3" --answer first-school --answer first-street --answer first-concert --json "${CA[@]}"
  assert_exit 0
}
block_pin() {
  "$CARDSIM" apdu "$1" 0020008008303030303030FFFF 0020008008303030303030FFFF 0020008008303030303030FFFF >/dev/null
}
pin_left() { "$CARDCTL" status --reader "sim:$1" --json | jq -r .pin.remaining; }
code_of() { jq -r '.challenge + " " + .check' <<<"$1"; }

# --- detached flow, AES-192 and TDES ----------------------------------------------------------------------
for template in staff legacy; do
  card=$(new_card "$template.sim" --serial $((20000 + ${#template})))
  id=$((20000 + ${#template}))
  issue "$card" "$template" "holder-$template"
  assert_json '.card_id' "$id"
  block_pin "$card"
  [[ $(pin_left "$card") == 0 ]] || _fail "PIN of $template card not blocked"

  run "$CARDCTL" challenge --reader "sim:$card" --detach --json
  assert_exit 0
  assert_json '.card_id' "$id"
  assert_json '.pin_tries_left' 0
  challenge=$(code_of "$OUT")
  [[ $template == staff ]] && assert_json '.challenge | length' 39 || assert_json '.challenge | length' 19

  run "$CARDCTL" respond --card "$id" --challenge "$challenge" --answers-file "$ANSWERS" --json
  assert_exit 0
  assert_json '.unblocks_left_in_period' 2
  response=$(jq -r '.response + " " + .check' <<<"$OUT")
  [[ $template == staff ]] && staff_response=$response

  run "$CARDCTL" unblock --reader "sim:$card" --response "$response" --pin-file "$PIN"
  assert_exit 0
  assert_stdout_contains "the PIN is set"
  [[ $(pin_left "$card") == 3 ]] || _fail "PIN of $template card not restored"
done

# --- scripted flow: challenge shows the code (on stderr with --json), then reads the response and the new PIN on
# stdin; its one JSON document on stdout is the outcome ----------------------------------------------------
card=$(new_card scripted.sim --serial 30001)
issue "$card" staff holder-scripted
block_pin "$card"
mkfifo "$T_ROOT/to-challenge" "$T_ROOT/shown"
"$CARDCTL" challenge --reader "sim:$card" --json <"$T_ROOT/to-challenge" >"$T_ROOT/result" 2>"$T_ROOT/shown" &
ch_pid=$!
exec 3>"$T_ROOT/to-challenge" 4<"$T_ROOT/shown"
shown=
while IFS= read -r -t 20 line <&4; do
  shown+=$line$'\n'
  [[ $line == Check:* ]] && break
done
code="$(sed -n 's/^Challenge: *//p' <<<"$shown") $(sed -n 's/^Check: *//p' <<<"$shown")"
run "$CARDCTL" respond --card 30001 --challenge "$code" --answers-file "$ANSWERS" --json
assert_exit 0
printf '%s\n%s\n' "$(jq -r '.response + .check' <<<"$OUT")" 482917 >&3
exec 3>&-
cat <&4 >"$T_CAPTURE/ch.err"
exec 4<&-
wait "$ch_pid"
_check $? "scripted challenge failed: $(cat "$T_CAPTURE/ch.err")"
result=$(cat "$T_ROOT/result")
[[ $(jq -r '[.ok, .card_id, .unblocked] | map(tostring) | join(" ")' <<<"$result") == "true 30001 true" ]]
_check $? "scripted challenge did not report one document with unblocked: $result"
[[ $(pin_left "$card") == 3 ]]
_check $? "scripted flow did not restore the PIN"

# --- interactive flow in a pseudo-terminal (tmux): one command, one card session ----------------------------
if command -v tmux >/dev/null; then
  card=$(new_card interactive.sim --serial 30002)
  issue "$card" legacy holder-interactive
  block_pin "$card"
  sock=$T_ROOT/tmux.sock
  tmux -S "$sock" new-session -d -x 200 -y 50 "env CARDCTL_HOME=$CARDCTL_HOME $CARDCTL unblock --reader sim:$card; echo EXIT=\$?; sleep 30"
  screen() { tmux -S "$sock" capture-pane -p; }
  for _ in $(seq 100); do screen | grep -q "response code" && break; sleep 0.1; done
  challenge=$(screen | awk '/^Challenge:/ { $1 = ""; c = $0 } /^Check:/ { print c " " $2 }' | sed 's/^ *//')
  run "$CARDCTL" respond --card 30002 --challenge "$challenge" --answers-file "$ANSWERS" --json
  assert_exit 0
  tmux -S "$sock" send-keys "$(jq -r '.response + " " + .check' <<<"$OUT")" Enter
  for _ in $(seq 100); do screen | grep -q "new PIN" && break; sleep 0.1; done
  tmux -S "$sock" send-keys 482917 Enter
  for _ in $(seq 100); do screen | grep -q "Repeat new PIN" && break; sleep 0.1; done
  tmux -S "$sock" send-keys 482917 Enter
  for _ in $(seq 100); do screen | grep -q "EXIT=" && break; sleep 0.1; done
  screen | grep -q "EXIT=0"
  _check $? "interactive unblock did not succeed:"$'\n'"$(screen)"
  screen | grep -q 482917
  _check $((!$?)) "the PIN was echoed on the terminal"
  tmux -S "$sock" kill-server 2>/dev/null
  [[ $(pin_left "$card") == 3 ]]
  _check $? "interactive flow did not restore the PIN"
else
  _fail "tmux is not installed: the pseudo-terminal flow was not tested"
fi

# --- a wrong response: refused, the PIN stays blocked, the challenge is used up -----------------------------
card=$CARDS/staff.sim
block_pin "$card"
run "$CARDCTL" challenge --reader "sim:$card" --detach --json
challenge=$(code_of "$OUT")
run "$CARDCTL" unblock --reader "sim:$card" --response "$staff_response" --pin-file "$PIN"   # an old response
assert_exit 4
assert_stderr_contains "rejected a response that was read out correctly (its check matched): it answers another challenge"
[[ $(pin_left "$card") == 0 ]]
_check $? "a wrong response changed the PIN counter"

# --- mistyped challenges are caught by the check, with the fix suggested ------------------------------------
run "$CARDCTL" challenge --reader "sim:$card" --detach --json
good=$(jq -r '.challenge' <<<"$OUT")
check=$(jq -r '.check' <<<"$OUT")
digits=${good// /}
first=${digits:0:1}
[[ $first == A ]] && other=B || other=A
run "$CARDCTL" respond --card 20005 --challenge "$other${digits:1} $check" --answers-file "$ANSWERS"
assert_exit 2
assert_stderr_contains "check does not match"
assert_stderr_contains "digit 1: $other -> $first"
i=0
while [[ ${digits:$i:1} == "${digits:$((i + 1)):1}" ]]; do i=$((i + 1)); done
swapped=${digits:0:$i}${digits:$((i + 1)):1}${digits:$i:1}${digits:$((i + 2))}
run "$CARDCTL" respond --card 20005 --challenge "$swapped $check" --answers-file "$ANSWERS"
assert_exit 2
assert_stderr_contains "digits $((i + 1))-$((i + 2)) swapped"
run "$CARDCTL" respond --card 30001 --challenge "$good $check" --answers-file "$ANSWERS"   # another AES card
assert_exit 2
assert_stderr_contains "another card"

# --- a card removed between challenge and unblock: a new challenge is needed --------------------------------
run "$CARDCTL" respond --card 20005 --challenge "$good $check" --answers-file "$ANSWERS" --json
assert_exit 0
response=$(jq -r '.response + " " + .check' <<<"$OUT")
"$CARDSIM" fault "$card" --vanish-after 0 2>/dev/null
run "$CARDCTL" unblock --reader "sim:$card" --response "$response" --pin-file "$PIN"
assert_exit 3
assert_stderr_matches "^cardctl: error: .*card removed from reader sim:"
assert_stderr_contains "start again with cardctl challenge"
"$CARDSIM" fault "$card" --clear 2>/dev/null   # back in the reader: a fresh session, no challenge
run "$CARDCTL" unblock --reader "sim:$card" --response "$response" --pin-file "$PIN"
assert_exit 4
assert_stderr_contains "no longer holds the challenge"
assert_stderr_not_contains "wrong response"

# --- the helpdesk's refusals --------------------------------------------------------------------------------
run "$CARDCTL" challenge --reader "sim:$card" --detach --json
challenge=$(code_of "$OUT")
run "$CARDCTL" respond --card 20005 --challenge "$challenge" --answers-file "$WRONG"
assert_exit 6
assert_stderr_contains "not identified"
assert_stdout_empty
run "$CARDCTL" respond --card 20005 --challenge "$challenge" --answers-file "$ANSWERS" --json   # 3rd this period
assert_exit 0
assert_json '[.name, .key_version, .repeated, .unblocks_left_in_period] | map(tostring) | join(" ")' \
  "Holder holder-staff 1 false 0"
first_response=$(jq -r .response <<<"$OUT")
# the caller misheard: the same challenge is answered again, the same response, not counted again
run "$CARDCTL" respond --card 20005 --challenge "$challenge" --answers-file "$ANSWERS" --json
assert_exit 0
assert_json '[.repeated, .unblocks_left_in_period, .response == "'"$first_response"'"] | map(tostring) | join(" ")' \
  "true 0 true"
run "$CARDCTL" respond --card 20005 --challenge "$challenge" --answers-file "$ANSWERS"
assert_exit 0
assert_stdout_contains "Holder:                 holder-staff (Holder holder-staff)"
assert_stdout_contains "Key version:            1"
assert_stderr_contains "answered before in the period: not counted again"
run "$CARDCTL" challenge --reader "sim:$card" --detach --json   # a new challenge is a 4th unblock
challenge=$(code_of "$OUT")
run "$CARDCTL" respond --card 20005 --challenge "$challenge" --answers-file "$ANSWERS"
assert_exit 6
assert_stderr_contains "the policy allows 3"
assert_stderr_contains "in person"
card=$(new_card yubikey.sim --serial 30003)
issue "$card" yubikey holder-yk
run "$CARDCTL" challenge --reader "sim:$card" --detach --json
run "$CARDCTL" respond --card 30003 --challenge "$(code_of "$OUT")" --answers-file "$ANSWERS"
assert_exit 6
assert_stderr_contains "offline unblock is not allowed"
run "$CARDCTL" respond --card 99999999 --challenge "0000 0000 0000 0000" --answers-file "$ANSWERS"
assert_exit 6
assert_stderr_contains "not in the inventory"

# --- a card without admin PIN reset is told to use its PUK ---------------------------------------------------
card=$(new_card plain.sim --serial 30004 --no-admin-pin-reset)
issue "$card" legacy holder-plain
block_pin "$card"
run "$CARDCTL" challenge --reader "sim:$card" --detach --json
run "$CARDCTL" respond --card 30004 --challenge "$(code_of "$OUT")" --answers-file "$ANSWERS" --json
response=$(jq -r '.response + " " + .check' <<<"$OUT")
run "$CARDCTL" unblock --reader "sim:$card" --response "$response" --pin-file "$PIN"
assert_exit 3
assert_stderr_contains "cardctl unblock --puc"

# --- a new PIN that breaks the rules is refused before anything reaches the card; the challenge stays ------
card=$CARDS/scripted.sim
block_pin "$card"
run "$CARDCTL" challenge --reader "sim:$card" --detach --json
challenge=$(code_of "$OUT")
run "$CARDCTL" respond --card 30001 --challenge "${challenge% *}" --answers-file "$ANSWERS" --json   # without check:
assert_exit 2                                                                                           # only with
assert_stderr_contains "expected 36 with the 4-digit check"                                             # --no-check
run "$CARDCTL" respond --card 30001 --no-check --challenge "${challenge% *}" --answers-file "$ANSWERS" --json
assert_exit 0
response=$(jq -r '.response' <<<"$OUT")   # and the response without its check too (Windows' unblock screen)
run "$CARDCTL" unblock --reader "sim:$card" --response "$response" --pin-file "$PIN"
assert_exit 2
assert_stderr_contains "expected 36 with the 4-digit check"
TRIVIAL=$(secret_file trivial 123456)
run "$CARDCTL" unblock --reader "sim:$card" --no-check --response "$response" --pin-file "$TRIVIAL"
assert_exit 2
assert_stderr_contains "too easy to guess"
run "$CARDCTL" unblock --reader "sim:$card" --no-check --response "$response" --pin-file "$PIN" --verbose
assert_exit 0
assert_stderr_matches "^cardctl: apdu > 00 2C 02 80 08 \*\* \*\* \*\*"
assert_stderr_not_contains "482917"
assert_stderr_not_contains "34 38 32 39 31 37"
[[ $(pin_left "$card") == 3 ]]
_check $? "the unblock after a refused PIN did not work"

# --- a code that lost a group of four is refused with the expected length: never taken for a code without its
# check (TDES 20 -> 16 digits, AES 36 -> 32). respond counts nothing; unblock leaves the challenge on the card.
drop_group() { awk '{ $2 = ""; print }' <<<"$1"; }   # "AAAA BBBB CCCC DDDD 1234" -> "AAAA  CCCC DDDD 1234"
for spec in legacy:30006:20 staff:30007:36; do
  IFS=: read -r template id digits <<<"$spec"
  card=$(new_card "dropped-$template.sim" --serial "$id")
  issue "$card" "$template" "holder-dropped-$template"
  block_pin "$card"
  run "$CARDCTL" challenge --reader "sim:$card" --detach --json
  assert_exit 0
  challenge=$(code_of "$OUT")
  run "$CARDCTL" respond --card "$id" --challenge "$(drop_group "$challenge")" --answers-file "$ANSWERS" --json
  assert_exit 2
  assert_error_with_hint
  assert_stderr_contains "has $((digits - 4)) hex digits; expected $digits with the 4-digit check"
  assert_stderr_contains "--no-check"
  run "$CARDCTL" respond --card "$id" --challenge "$challenge" --answers-file "$ANSWERS" --json
  assert_exit 0
  assert_json '.unblocks_left_in_period' 2   # the first of 3: the refused code was not counted
  response=$(jq -r '.response + " " + .check' <<<"$OUT")
  run "$CARDCTL" unblock --reader "sim:$card" --response "$(drop_group "$response")" --pin-file "$PIN"
  assert_exit 2
  assert_stderr_contains "has $((digits - 4)) hex digits; expected $digits with the 4-digit check"
  run "$CARDCTL" unblock --reader "sim:$card" --response "$response" --pin-file "$PIN"   # same challenge, still there
  assert_exit 0
  [[ $(pin_left "$card") == 3 ]]
  _check $? "the $template card was not unblocked after a refused code with a group missing"
  # challenge reads the response the same way: a code without its check only with --no-check
  CARDCTL_RESPONSE=$(drop_group "$response") run "$CARDCTL" challenge --reader "sim:$card" --pin-file "$PIN" --json
  assert_exit 2
  assert_stderr_contains "has $((digits - 4)) hex digits; expected $digits with the 4-digit check"
  zeros=$(printf '0%.0s' $(seq $((digits - 4))))
  CARDCTL_RESPONSE=$zeros run "$CARDCTL" challenge --reader "sim:$card" --pin-file "$PIN" --json --no-check
  assert_exit 4
  assert_stderr_contains "wrong response"
done

# --- the challenge and the caller's answers on one pipe: every line of stdin goes through one reader that stops at
# the end of its line, so the answers after the challenge are not swallowed by a buffer. The holder enrolled the
# same answer to every question, since the questions asked are picked at random.
card=$(new_card one-pipe.sim --serial 30008)
run_with_stdin $'same answer\nsame answer\nsame answer' "$CARDCTL" issue --reader "sim:$card" --template legacy \
  --holder holder-one-pipe --name "Holder one-pipe" --answer first-school --answer first-street --answer first-concert --json
assert_exit 0
block_pin "$card"
run "$CARDCTL" challenge --reader "sim:$card" --detach --json
challenge=$(code_of "$OUT")
run_with_stdin "$challenge"$'\nsame answer\nsame answer' "$CARDCTL" respond --card 30008 --json
assert_exit 0
assert_json '.card_id' 30008
run "$CARDCTL" unblock --reader "sim:$card" --response "$(jq -r '.response + " " + .check' <<<"$OUT")" --pin-file "$PIN"
assert_exit 0
[[ $(pin_left "$card") == 3 ]]
_check $? "the response from the one-pipe respond did not unblock the card"

# --- key rotation: new cards get the new version, older cards keep working -----------------------------------
run "$CARDCTL" init --rotate --json
assert_exit 0
assert_json '.key_version' 2
card=$(new_card rotated.sim --serial 30005)
issue "$card" staff holder-rotated
assert_json '.key_version' 2
for id_card in "30005:$card" "30001:$CARDS/scripted.sim"; do
  id=${id_card%%:*} c=${id_card#*:}
  block_pin "$c"
  run "$CARDCTL" challenge --reader "sim:$c" --detach --json
  run "$CARDCTL" respond --card "$id" --challenge "$(code_of "$OUT")" --answers-file "$ANSWERS" --json
  assert_exit 0
  run "$CARDCTL" unblock --reader "sim:$c" --response "$(jq -r '.response + " " + .check' <<<"$OUT")" --pin-file "$PIN"
  assert_exit 0
done

# --- the audit trail: intact, then each kind of tampering is found -------------------------------------------
run "$CARDCTL" audit verify --json
assert_exit 0
assert_json '.ok' true
run "$CARDCTL" audit show --card 20005 --action respond --json
assert_exit 0
assert_json '[.entries[] | select(.outcome == "refused")] | length' 1   # the limit; the wrong answers are an identify entry
run "$CARDCTL" audit show --card 20005 --action identify --json
assert_exit 0
assert_json '[.entries[] | select(.outcome == "failed")] | length' 1
trail=$CARDCTL_HOME/audit.log
cp "$trail" "$T_ROOT/audit.orig"
sed -i '3s/"time":"2/"time":"3/' "$trail"
run "$CARDCTL" audit verify
assert_exit 6
assert_stderr_contains "line 3"
cp "$T_ROOT/audit.orig" "$trail"; sed -i '4d' "$trail"
run "$CARDCTL" audit verify --json
assert_exit 6
assert_json '.bad_line' 4
cp "$T_ROOT/audit.orig" "$trail"; { sed -n '1,2p' "$T_ROOT/audit.orig"; sed -n '4p' "$T_ROOT/audit.orig"; sed -n '3p' "$T_ROOT/audit.orig"; sed -n '5,$p' "$T_ROOT/audit.orig"; } >"$trail"
run "$CARDCTL" audit verify
assert_exit 6
assert_stderr_contains "line 3"
head -n -1 "$T_ROOT/audit.orig" >"$trail"
run "$CARDCTL" audit verify
assert_exit 6
assert_stderr_contains "deleted from the end"
cp "$T_ROOT/audit.orig" "$trail"

# --- every admin-key vector: respond prints exactly the listed response ------------------------------------
VECTORS=$CARDCTL_SOURCE/tests/vectors/admin-key.toml
sed 's/^allow_unknown_cards = false/allow_unknown_cards = true/' "$POLICY" >"$T_ROOT/open-policy.toml"
n=$(grep -c '^\[\[case\]\]' "$VECTORS")
for ((k = 1; k <= n; k++)); do
  field() { awk -v k="$k" -v f="$1" '/^\[\[case\]\]/ { c++ } c == k && $1 == f { sub(/^[^=]*= */, ""); gsub(/"/, ""); print; exit }' "$VECTORS"; }
  master=$(secret_file "master$k" "$(field master_key)")
  home=$T_ROOT/vector-site-$k
  CARDCTL_HOME=$home "$CARDCTL" init --policy "$T_ROOT/open-policy.toml" --scrypt-n 1024 \
    --import-master "$master" --key-version "$(field key_version)" >/dev/null
  CARDCTL_HOME=$home run "$CARDCTL" respond --card "$(field card_id)" --algorithm "$(field algorithm)" \
    --key-version "$(field key_version)" --challenge "$(field challenge) $(field challenge_check)" --json
  assert_exit 0
  assert_json '.response' "$(field response)"
  assert_json '.check' "$(field response_check)"
done

finish
