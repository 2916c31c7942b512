#!/usr/bin/env bash
# A code that lost a group of four (TDES 20 -> 16 digits, AES 36 -> 32) is refused with the expected length (exit 2),
# never taken for a code without its check: respond counts nothing; unblock and challenge leave the card's challenge.
. "$(dirname "$0")/lib.sh"
. "$CARDCTL_SOURCE/tests/cli/offline_unblock_setup.sh"

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
  response=$(code_of "$OUT")
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

finish
