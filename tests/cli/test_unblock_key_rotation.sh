#!/usr/bin/env bash
# Key versions: init makes version 1 and refuses a second installation (exit 9); after init --rotate new cards get
# version 2, and both a new card and one issued under version 1 still unblock offline.
UNBLOCK_SKIP_INIT=1   # this scenario runs init itself
. "$(dirname "$0")/lib.sh"
. "$CARDCTL_SOURCE/tests/cli/offline_unblock_setup.sh"

run "${INIT[@]}" --json
assert_exit 0
assert_json '.key_version' 1
run "${INIT[@]}"
assert_exit 9
assert_stderr_contains "an installation already exists"

older=$(new_card older.sim --serial 30001)
issue "$older" staff holder-older
assert_json '.key_version' 1

run "$CARDCTL" init --rotate --json
assert_exit 0
assert_json '.key_version' 2
card=$(new_card rotated.sim --serial 30005)
issue "$card" staff holder-rotated
assert_json '.key_version' 2
for id_card in "30005:$card" "30001:$older"; do
  id=${id_card%%:*} c=${id_card#*:}
  block_pin "$c"
  run "$CARDCTL" challenge --reader "sim:$c" --detach --json
  run "$CARDCTL" respond --card "$id" --challenge "$(code_of "$OUT")" --answers-file "$ANSWERS" --json
  assert_exit 0
  run "$CARDCTL" unblock --reader "sim:$c" --response "$(code_of "$OUT")" --pin-file "$PIN"
  assert_exit 0
done

finish
