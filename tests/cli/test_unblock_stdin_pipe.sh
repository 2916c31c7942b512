#!/usr/bin/env bash
# The challenge and the caller's answers on one pipe to respond: each line goes through one reader that stops at the
# end of its line, so the answers after the challenge are not swallowed by a buffer; the response unblocks the card.
. "$(dirname "$0")/lib.sh"
. "$CARDCTL_SOURCE/tests/cli/offline_unblock_setup.sh"

# The holder enrolled the same answer to every question, since the questions asked are picked at random.
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
run "$CARDCTL" unblock --reader "sim:$card" --response "$(code_of "$OUT")" --pin-file "$PIN"
assert_exit 0
[[ $(pin_left "$card") == 3 ]]
_check $? "the response from the one-pipe respond did not unblock the card"

finish
