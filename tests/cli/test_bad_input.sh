#!/usr/bin/env bash
# Bad input never crashes and never loses data (issue 3): a truncated or edited keystore, a wrong passphrase,
# malformed and unknown policy keys, an inventory locked by a second process, a full disk during an audit write.
. "$(dirname "$0")/lib.sh"

export CARDCTL_HOME=$T_ROOT/site CARDCTL_PASSPHRASE="test passphrase 1" CARDCTL_OPERATOR=helpdesk-1
POLICY=$T_ROOT/policy.toml
sed 's/^allow_unknown_cards = false/allow_unknown_cards = true/' "$CARDCTL_SOURCE/examples/policy.toml" >"$POLICY"
CHALLENGE="C258 0945 CEC5 638C 1769"   # admin-key.toml case 1 (TDES, card fbcb57e7...)
CARD=fbcb57e74f24527ec9e1033b2f883714
respond() { "$CARDCTL" respond --card "$CARD" --algorithm tdes --key-version 1 --challenge "$CHALLENGE" "$@"; }

# --- policy files ------------------------------------------------------------------------------------------
printf '[templates.t.pin]\nmin_length = \n' >"$T_ROOT/broken.toml"
run "$CARDCTL" policy check "$T_ROOT/broken.toml"
assert_exit 6
assert_stdout_matches "^$T_ROOT/broken.toml:2: "
printf '[templates.t.pin]\nmin_lenght = 6\nretries = 99\n' >"$T_ROOT/unknown.toml"
run "$CARDCTL" policy check "$T_ROOT/unknown.toml" --json
assert_exit 6
assert_json '.problems | length' 2
assert_json '.problems[0].message' "unknown key (did you mean 'min_length'?)"
assert_json '.problems[1].key' "templates.t.pin.retries"
run "$CARDCTL" policy check "$POLICY"
assert_exit 0
run "$CARDCTL" init --policy "$T_ROOT/unknown.toml" --scrypt-n 1024
assert_exit 6
assert_stderr_contains "unknown.toml:2: templates.t.pin.min_lenght"
[[ ! -e $CARDCTL_HOME/keystore ]]
_check $? "a refused policy still created a keystore"
run "$CARDCTL" init --policy "$T_ROOT/missing.toml"
assert_exit 7

run "$CARDCTL" init --policy "$POLICY" --scrypt-n 1024
assert_exit 0
run respond --json
assert_exit 0
assert_json '.response | length' 19   # a TDES response: 16 hex digits in groups of four
KS=$CARDCTL_HOME/keystore
cp "$KS" "$T_ROOT/keystore.good"

# --- the keystore ------------------------------------------------------------------------------------------
CARDCTL_PASSPHRASE="not the passphrase" run respond
assert_exit 4
assert_stderr_contains "wrong passphrase, or the file was modified"
head -c 40 "$T_ROOT/keystore.good" >"$KS"
run respond
assert_exit 8
assert_stderr_contains "damaged (file truncated)"
cp "$T_ROOT/keystore.good" "$KS"
printf '\x01' | dd of="$KS" bs=1 seek=100 conv=notrunc status=none
run respond
assert_exit 4
assert_stderr_contains "wrong passphrase, or the file was modified"
cp "$T_ROOT/keystore.good" "$KS"
run "$CARDCTL" respond --no-prompt --card "$CARD" --challenge "$CHALLENGE" --passphrase-file "$T_ROOT/nope"
assert_exit 7

# --- an inventory locked by another process: a clear error after the busy timeout, nothing half-done -------
lines_before=$(wc -l <"$CARDCTL_HOME/audit.log")
(printf 'BEGIN IMMEDIATE;\nINSERT INTO meta VALUES ("lock", "x");\n'; sleep 12) | sqlite3 "$CARDCTL_HOME/inventory.db" &
locker=$!
sleep 1
run respond
assert_exit 9
assert_stderr_contains "another operator is answering for card"
assert_stdout_empty
kill "$locker" 2>/dev/null; wait "$locker" 2>/dev/null
run "$CARDCTL" audit verify
assert_exit 0
[[ $(wc -l <"$CARDCTL_HOME/audit.log") == "$lines_before" ]]
_check $? "a response refused for a locked inventory was audited as given"

# --- a full disk during the audit write: no response, no half line, the trail intact --------------------
# The trail is moved onto a tmpfs that it fills exactly, so that the next entry needs a page the disk does not
# have. Audited key rotations first bring the trail within 400 bytes of a page boundary.
TRAIL=$CARDCTL_HOME/audit.log
while (( 4096 - $(stat -c %s "$TRAIL") % 4096 > 400 )); do
  "$CARDCTL" init --rotate >/dev/null 2>&1 || { _fail "init --rotate failed"; break; }
done
FULL=$T_ROOT/full
mkdir -p "$FULL"
pages=$(( ($(stat -c %s "$TRAIL") + 4095) / 4096 ))
if mount -t tmpfs -o size=$((pages * 4096)) cardctl-full "$FULL" 2>/dev/null; then
  trap 'umount "$FULL" 2>/dev/null; rm -rf "$T_ROOT"' EXIT
  cp "$TRAIL" "$FULL/audit.log" && rm "$TRAIL" && ln -s "$FULL/audit.log" "$TRAIL"
  before=$(sha256sum <"$FULL/audit.log")
  run respond --json
  assert_exit 8
  assert_stdout_empty
  assert_stderr_contains "writing the audit trail"
  assert_stderr_contains "No space left on device"
  [[ $(sha256sum <"$FULL/audit.log") == "$before" ]]
  _check $? "the failed audit write changed the trail"
  run "$CARDCTL" audit verify --json
  assert_exit 0
  assert_json '.ok' true
  rm "$TRAIL" && cp "$FULL/audit.log" "$TRAIL" && umount "$FULL"
  run respond --json   # space again: the same request now succeeds
  assert_exit 0
else
  _fail "cannot mount a tmpfs to fill (needs root): the full-disk case was not tested"
fi

finish
