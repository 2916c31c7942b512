#!/usr/bin/env bash
# The inventory at the helpdesk through the real cardctl on sim: cards: list (table, JSON, filters), show (holder,
# state, the offline unblocks counted in the period, the history), revoke (reason required, audited, the trail
# still verifies, respond refuses the card afterwards, refused twice), and the errors of unknown cards and states.
. "$(dirname "$0")/lib.sh"

export CARDCTL_HOME=$T_ROOT/site CARDCTL_PASSPHRASE="test passphrase 1" CARDCTL_OPERATOR=helpdesk-1
POLICY=$CARDCTL_SOURCE/examples/policy.toml   # "staff": AES-192, offline unblock, 3 per 30 days; "yubikey": TDES
ANSWERS=$(secret_file answers "first-school: Elm Primary
first-street: Oak Road
favourite-teacher: Smith")

issue() {  # issue SERIAL TEMPLATE HOLDER NAME: a new reference card, issued; sets CARD (the sim file)
  CARD=$(new_card "$1.sim" --serial "$1")
  run_with_stdin $'Elm Primary\nOak Road\nSmith' "$CARDCTL" issue --reader "sim:$CARD" --template "$2" \
    --holder "$3" --name "$4" --answer first-school --answer first-street --answer favourite-teacher --json "${CA[@]}"
  assert_exit 0
}
challenge_of() {  # challenge_of CARD: blocks the PIN and prints a challenge code with its check
  "$CARDSIM" apdu "$1" 0020008008303030303030FFFF 0020008008303030303030FFFF 0020008008303030303030FFFF >/dev/null
  "$CARDCTL" challenge --reader "sim:$1" --detach --json | jq -r '.challenge + " " + .check'
}
# assert_py EXPR EXPECTED: stdout is one JSON document d, and the Python expression EXPR over it prints EXPECTED.
assert_py() {
  local got
  got=$(python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' \
    "$T_CAPTURE/out" "$1" 2>&1)
  [[ $got == "$2" ]]
  _check $? "python3 '$1' gave '$got', expected '$2'"
}

run "$CARDCTL" init --policy "$POLICY" --scrypt-n 1024
assert_exit 0
run "$CARDCTL" operator add helpdesk-2 --role helpdesk   # a second operator (cardctl-operator(1))
assert_exit 0

# --- an empty inventory --------------------------------------------------------------------------------------
run "$CARDCTL" list
assert_exit 0
assert_stdout_empty
assert_stderr_contains "no cards"
run "$CARDCTL" list --json
assert_exit 0
assert_py 'd["ok"], d["cards"]' "(True, [])"

issue 51001 staff alice 'Alice Example'
CARD_ALICE=$CARD
issue 51002 staff bob 'Bob Example'
CARD_BOB=$CARD
issue 51003 yubikey alice 'Alice Example'

# --- list: table and JSON --------------------------------------------------------------------------------------
run "$CARDCTL" list
assert_exit 0
assert_stdout_matches '^CARD +HOLDER +NAME +TEMPLATE +STATE +ISSUED$'
assert_stdout_matches '^51001 +alice +Alice Example +staff +active +20[0-9-]+T[0-9:]+Z$'
assert_stdout_matches '^51002 +bob +Bob Example +staff +active +'
assert_stdout_matches '^51003 +alice +Alice Example +yubikey +active +'
[[ $(wc -l <"$T_CAPTURE/out") == 4 ]]
_check $? "list: not a header and three cards"

run "$CARDCTL" list --json
assert_exit 0
assert_py 'd["ok"]' True
assert_py '" ".join(c["card_id"] for c in d["cards"])' "51001 51002 51003"
assert_py '[(c["holder_id"], c["holder_name"], c["template"], c["state"]) for c in d["cards"]][0]' \
  "('alice', 'Alice Example', 'staff', 'active')"
assert_py '[(c["algorithm"], c["key_version"]) for c in d["cards"]]' "[('aes192', 1), ('aes192', 1), ('tdes', 1)]"
assert_py 'all(c["issued_at"].endswith("Z") and c["updated_at"] for c in d["cards"])' True

# --- list: filters ---------------------------------------------------------------------------------------------
run "$CARDCTL" list --holder alice --json
assert_exit 0
assert_py '" ".join(c["card_id"] for c in d["cards"])' "51001 51003"
run "$CARDCTL" list --template yubikey --json
assert_py '" ".join(c["card_id"] for c in d["cards"])' "51003"
run "$CARDCTL" list --template staff --holder bob
assert_exit 0
assert_stdout_contains "51002"
assert_stdout_not_contains "51001"
run "$CARDCTL" list --state active --json
assert_py 'len(d["cards"])' 3
run "$CARDCTL" list --state revoked --json
assert_exit 0
assert_py 'd["cards"]' "[]"
run "$CARDCTL" list --holder nobody
assert_exit 0
assert_stdout_empty
assert_stderr_contains "no card in the inventory matches"
run "$CARDCTL" list --state lost
assert_exit 2
assert_error_with_hint
assert_stderr_contains "unknown card state 'lost'"
assert_stderr_contains "pending, active, revoked or retired"

# --- show: holder, state, the offline unblocks counted, the history -------------------------------------------
run "$CARDCTL" show 51001
assert_exit 0
assert_stdout_matches '^Holder: +alice$'
assert_stdout_matches '^Name: +Alice Example$'
assert_stdout_matches '^State: +active$'
assert_stdout_matches '^Template: +staff$'
assert_stdout_matches '^Admin key: +AES-192, version 1$'
assert_stdout_matches '^Offline unblocks: +0 of 3 in the last 30 days$'
assert_stdout_matches '^  20[0-9TZ:-]+ +issue +ok +helpdesk-1 +template=staff'

code=$(challenge_of "$CARD_ALICE")
run "$CARDCTL" respond --card 51001 --challenge "$code" --answers-file "$ANSWERS" --json
assert_exit 0
assert_json '.unblocks_left_in_period' 2

run "$CARDCTL" show 51001
assert_exit 0
assert_stdout_matches '^Offline unblocks: +1 of 3 in the last 30 days$'
run "$CARDCTL" show 51001 --json
assert_exit 0
assert_py 'd["ok"], d["card_id"], d["holder_id"], d["holder_name"], d["state"], d["template"]' \
  "(True, '51001', 'alice', 'Alice Example', 'active', 'staff')"
assert_py 'd["algorithm"], d["key_version"], d["issued_at"] <= d["updated_at"]' "('aes192', 1, True)"
assert_py 'd["unblocks"]' "{'used': 1, 'allowed': 3, 'period_days': 30}"
assert_py 'd["history"][0]["action"], d["history"][0]["outcome"], d["history"][0]["operator"]' "('issue', 'ok', 'helpdesk-1')"
assert_py 'd["history"][0]["details"]["template"]' staff
assert_py '[(h["action"], h["outcome"]) for h in d["history"]][-2:]' "[('respond', 'reserved'), ('respond', 'ok')]"
run "$CARDCTL" show 51002 --json
assert_py 'd["unblocks"]["used"], len(d["history"])' "(0, 1)"

run "$CARDCTL" show 59999
assert_exit 7
assert_error_with_hint
assert_stderr_contains "card 59999 is not in the inventory"
assert_stderr_contains "cardctl list"

# --- revoke ----------------------------------------------------------------------------------------------------
run "$CARDCTL" revoke 51002
assert_exit 2
assert_error_with_hint
assert_stderr_contains "--reason"
run "$CARDCTL" revoke 51002 --reason '   '
assert_exit 2
assert_error_with_hint
assert_stderr_contains "needs a reason"
run "$CARDCTL" list --state active --json
assert_py 'len(d["cards"])' 3

run "$CARDCTL" revoke 51002 --reason 'lost on the train'
assert_exit 0
assert_stdout_contains "Card 51002 revoked (reason: lost on the train)"
assert_stderr_empty

run "$CARDCTL" list --state revoked --json
assert_py '" ".join(c["card_id"] + ":" + c["state"] for c in d["cards"])' "51002:revoked"
run "$CARDCTL" list
assert_stdout_matches '^51002 +bob +Bob Example +staff +revoked +'
run "$CARDCTL" show 51002
assert_stdout_matches '^State: +revoked$'
assert_stdout_matches '^  20[0-9TZ:-]+ +revoke +ok +helpdesk-1 +reason=lost on the train$'
run "$CARDCTL" show 51002 --json
assert_py 'd["state"]' revoked
assert_py '(lambda h: (h["action"], h["outcome"], h["operator"], h["details"]))(d["history"][-1])' \
  "('revoke', 'ok', 'helpdesk-1', {'reason': 'lost on the train'})"
run "$CARDCTL" audit show --card 51002 --action revoke --json
assert_json '.entries | length' 1
assert_json '.entries[0].outcome' ok
assert_json '.entries[0].holder_id' bob
run "$CARDCTL" audit verify --json
assert_exit 0
assert_json '.ok' true
assert_json '.inventory_problems | length' 0

# the helpdesk gives no offline unblock for a revoked card
code=$(challenge_of "$CARD_BOB")
run "$CARDCTL" respond --card 51002 --challenge "$code" --answers-file "$ANSWERS"
assert_exit 6
assert_error_with_hint
assert_stderr_contains "card 51002 is revoked"

run "$CARDCTL" revoke 51002 --reason 'again' --operator helpdesk-2
assert_exit 6
assert_error_with_hint
assert_stderr_contains "already revoked"
run "$CARDCTL" audit show --card 51002 --action revoke --json
assert_json '.entries | length' 1

run "$CARDCTL" revoke 59999 --reason lost
assert_exit 7
assert_error_with_hint
assert_stderr_contains "card 59999 is not in the inventory"

run "$CARDCTL" revoke 51003 --reason 'left the company' --operator helpdesk-2 --json
assert_exit 0
assert_py 'd' "{'ok': True, 'card_id': '51003', 'state': 'revoked', 'reason': 'left the company'}"
run "$CARDCTL" audit show --card 51003 --action revoke --json
assert_json '.entries[0].operator' helpdesk-2
run "$CARDCTL" list --state active --json
assert_py '" ".join(c["card_id"] for c in d["cards"])' "51001"
run "$CARDCTL" audit verify
assert_exit 0

finish
