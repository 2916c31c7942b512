#!/usr/bin/env bash
# A table of bad inputs, at least one for every command: each gives its documented exit code (cardctl(1), EXIT
# STATUS), one "cardctl: error:" line and a "cardctl: hint:" line saying what to do; with --json the same error is
# the command's one document on stdout ({"ok": false, "error": {code, exit, message, hint}}, docs/schema/error.json).
. "$(dirname "$0")/lib.sh"

export CARDCTL_HOME=$T_ROOT/site CARDCTL_PASSPHRASE="table passphrase 1"
POLICY=$CARDCTL_SOURCE/examples/policy.toml
run "$CARDCTL" init --policy "$POLICY" --scrypt-n 1024
assert_exit 0
CARD=$(new_card blank.sim --serial 77001)
SHORT=$(secret_file short "short")
NOHEX=$(secret_file master "not hex at all")
ONEPIN=$(secret_file onepin "1")
WRONG=$(secret_file wrong "99999999")
NEWPIN=$(secret_file newpin "246810")
FACTORY=$(secret_file factory "123456")
HEX=$(secret_file hex "$(printf '%064x' 7)")
touch "$T_ROOT/a-file"

# EXIT | a part of the hint | the command's arguments (one line; eval'd, so quote as in a shell)
table=$(cat <<ROWS
2 | cardctl status | statsu
2 | cardctl puc show | puc sohw 12345678
2 | --help | status --frobnicate
2 | a few words | init --home $T_ROOT/new --policy $POLICY --passphrase-file $SHORT
2 | --scrypt-n | init --home $T_ROOT/new --policy $POLICY --scrypt-n 3
2 | --key-version 1 or higher | init --rotate --import-master $HEX --key-version 0
2 | 64 hex digits | init --rotate --import-master $NOHEX
7 | check the path | init --rotate --import-master $T_ROOT/missing.hex
9 | --rotate | init --policy $POLICY
7 | cardctl init | list --home $T_ROOT/a-file
7 | cardsim create | status --reader sim:$T_ROOT/missing.sim
8 | the free space | status --reader sim:$T_ROOT
7 | check the path | pin verify --reader sim:$CARD --pin-file $T_ROOT/missing-pin
2 | that length | pin change --reader sim:$CARD --pin-file $FACTORY --new-pin-file $ONEPIN
4 | tries | pin verify --reader sim:$CARD --pin-file $WRONG
2 | another new PUK | puk change --reader sim:$CARD --puk-file $WRONG --new-puk-file $WRONG
7 | cardctl init | unblock --puc --reader sim:$CARD --puk-file $WRONG --pin-file $NEWPIN --home $T_ROOT/nowhere
2 | --response | unblock --puc --response 'AAAA BBBB' --reader sim:$CARD
6 | cardctl challenge shows it | respond --card 404040 --challenge '0000 0000 0000 0000 0000'
7 | cardctl list | show 404040
7 | cardctl list | revoke 404040 --reason lost
6 | cardctl challenge shows it | puc show 404040
7 | holder | holder show nobody
2 | --help | holder clear-lockout
7 | operator | operator remove nobody
7 | check the path | policy apply $T_ROOT/missing.toml --yes
2 | cardctl-audit(1) | audit show --action frobnicate
2 | 7d | audit show --since 'last tuesday'
2 | 2026-11-01 | audit show --until 2026-13-45
2 | --template NAME | issue --holder 1 --reader sim:$CARD
2 | in UTF-8 | issue --holder $'h\x87' --template staff --reader sim:$CARD
7 | check the path | issue --batch $T_ROOT/missing.csv
3 | sim:FILE | retire
7 | cardsim create | challenge --reader sim:$T_ROOT/missing.sim
7 | cardsim create | so-unblock --reader sim:$T_ROOT/missing.sim
3 | pcscd | readers --reader 'no such reader'
ROWS
)

while IFS='|' read -r code hint args; do
  code=${code// /}
  hint=${hint# }
  hint=${hint% }
  eval "set -- $args"
  for json in "" --json; do
    run "$CARDCTL" "$@" $json --no-prompt
    assert_exit "$code"
    assert_stderr_matches '^cardctl: error: .+'
    assert_stderr_contains "cardctl: hint: "
    assert_stderr_contains "$hint"
    if [[ -n $json ]]; then
      assert_json '[.ok, .error.exit, (.error.hint | length > 0)] | map(tostring) | join(" ")' "false $code true"
    else
      assert_stdout_empty
    fi
  done
done <<<"$table"

# A PIN the template's rules refuse, at issuance (the answers given on stdin): refused before the card changes.
cp "$CARD" "$T_ROOT/before.sim"
for json in "" --json; do
  run_with_stdin $'Elm Primary\nOak Road\nThe Cure' "$CARDCTL" issue --reader "sim:$CARD" --template staff --holder 1 \
    --pin-file "$ONEPIN" --answer first-school --answer first-street --answer first-concert --no-prompt $json
  assert_exit 2
  assert_error_with_hint
  assert_stderr_contains "the new PIN must have 6 to 8 characters"
done
cmp -s "$CARD" "$T_ROOT/before.sim"
_check $? "a refused first PIN changed the card"
finish
