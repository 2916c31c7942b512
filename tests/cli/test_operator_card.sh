#!/usr/bin/env bash
# Opening the keystore with an operator's card (cardctl-operator(1), UNLOCKING WITH A CARD): the system owner enrols
# a card whose slot 9D holds a P-256 key; the operator then runs commands with --operator-card and the card's PIN,
# no passphrase, as the operator the card names (role checked, audited); a wrong PIN, the last try, a card not
# enrolled, a card without a P-256 key, a removed operator and a damaged keystore.cards are refused clearly.
. "$(dirname "$0")/lib.sh"

export CARDCTL_HOME=$T_ROOT/site CARDCTL_PASSPHRASE="test passphrase 1" CARDCTL_OPERATOR=owner
POLICY=$T_ROOT/policy.toml
cat "$CARDCTL_SOURCE/examples/policy.toml" - >"$POLICY" <<'TOML'

# An operator's card: a P-256 key in the key-management slot opens the keystore (ECDH).
[templates.operator]
admin_key = { algorithm = "aes192", diversify = true }
pin = { min_length = 6, max_length = 8, digits_only = true, retries = 3 }
[[templates.operator.slots]]
slot = "9d"
algorithm = "eccp256"
[templates.operator.certificate]
subject = "CN={name}"
TOML
ANSWERS=$'Elm Primary\nOak Road\nThe Cure'
ask=(--answer first-school --answer first-street --answer first-concert)
RIGHT=$(secret_file right "first-school: Elm Primary
first-street: Oak Road
first-concert: The Cure")

run "$CARDCTL" init --policy "$POLICY" --scrypt-n 1024
assert_exit 0

# issue TEMPLATE SERIAL HOLDER: a card issued with the test CA; prints its first PIN
issue() {
  local card
  card=$(new_card "$2.sim" --serial "$2")
  run_with_stdin "$ANSWERS" "$CARDCTL" issue --reader "sim:$card" --template "$1" --holder "$3" --name "$3" \
    "${ask[@]}" "${CA[@]}" --json
  [[ $RC == 0 ]] || _fail "issuing $2 with template $1"
  jq -r .first_pin "$T_CAPTURE/out"
}
desk_pin=$(issue operator 91001 desk-holder)
other_pin=$(issue operator 91003 other-holder)
issue staff 91002 1042 >/dev/null
DESK=sim:$CARDS/91001.sim
OTHER=sim:$CARDS/91003.sim
STAFF=sim:$CARDS/91002.sim
PIN=$(secret_file desk.pin "$desk_pin")
OTHER_PIN=$(secret_file other.pin "$other_pin")
BAD_PIN=$(secret_file bad.pin 000000)

# --- enrolment (system owner) -------------------------------------------------------------------------------
run "$CARDCTL" operator add desk --role helpdesk --card-reader "$DESK"
assert_exit 0
assert_stdout_contains "Operator desk added with role helpdesk"
assert_stdout_contains "Card 91001 (eccp256 in slot 9D) opens the keystore for desk"
[[ $(stat -c %a "$CARDCTL_HOME/keystore.cards") == 600 ]]
_check $? "keystore.cards is not mode 600"
grep -q "$desk_pin" "$CARDCTL_HOME/keystore.cards"
[[ $? != 0 ]]
_check $? "keystore.cards holds the PIN"
run "$CARDCTL" operator add clerk --role helpdesk --card-reader "$STAFF"
assert_exit 3
assert_stderr_contains "the card in $STAFF has no P-256 key in slot 9D; issue it with a template that has slot 9d"
assert_error_with_hint
run "$CARDCTL" operator list --json
assert_json '[.operators[].name] | join(",")' "desk,owner"   # clerk was not registered
assert_json '[.operators[] | .name + ":" + (.cards | join(","))] | join(" ")' "desk:91001 owner:"
run "$CARDCTL" operator list
assert_stdout_matches '^desk +helpdesk .* 91001$' 
run "$CARDCTL" operator add-card owner --card-reader "$DESK"
assert_exit 9
assert_stderr_contains "card 91001 already opens the keystore for operator desk"
run "$CARDCTL" operator add-card nobody --card-reader "$OTHER"
assert_exit 7

# --- unlock with the card, no passphrase ----------------------------------------------------------------------
unset CARDCTL_PASSPHRASE
run env -u CARDCTL_OPERATOR "$CARDCTL" list --operator-card "$DESK" --operator-pin-file "$PIN" --no-prompt --json
assert_exit 0
assert_json '.cards | length' 3
# the PIN is not left verified on the card (the session ended with a reset)
"$CARDSIM" apdu "$CARDS/91001.sim" 00A4040005A000000308 00200080 | grep -q '^63C3'
_check $? "the operator card's PIN is still verified after the command"
# CARDCTL_OPERATOR_CARD and CARDCTL_OPERATOR_PIN; CARDCTL_OPERATOR is overruled by the card
run env CARDCTL_OPERATOR_CARD="$DESK" CARDCTL_OPERATOR_PIN="$desk_pin" CARDCTL_OPERATOR=owner "$CARDCTL" show 91002 --no-prompt
assert_exit 0
# without a PIN and --no-prompt: a usage error naming the option, before the card is touched
run env -u CARDCTL_OPERATOR "$CARDCTL" list --operator-card "$DESK" --no-prompt
assert_exit 2
assert_stderr_contains "--operator-pin-file"
# respond is the helpdesk's: allowed, and audited as desk
"$CARDSIM" apdu "$CARDS/91002.sim" 00A4040005A000000308 0020008008303030303030FFFF 0020008008303030303030FFFF \
  0020008008303030303030FFFF >/dev/null
code=$("$CARDCTL" challenge --reader "$STAFF" --detach --json | jq -r '.challenge + " " + .check')
run env -u CARDCTL_OPERATOR "$CARDCTL" respond --card 91002 --challenge "$code" --answers-file "$RIGHT" \
  --operator-card "$DESK" --operator-pin-file "$PIN" --no-prompt --json
assert_exit 0
assert_json '.unblocks_left_in_period' 2
# the system owner's commands are not: the role is the card's operator's
run env -u CARDCTL_OPERATOR "$CARDCTL" operator add mallory --role system_owner --operator-card "$DESK" \
  --operator-pin-file "$PIN" --no-prompt
assert_exit 6
assert_stderr_contains "operator desk (role helpdesk) may not run operator"
# the card names its operator: another --operator is refused
run "$CARDCTL" list --operator owner --operator-card "$DESK" --operator-pin-file "$PIN" --no-prompt
assert_exit 2
assert_stderr_contains "card 91001 identifies operator desk, not owner"
assert_error_with_hint

# --- refusals -------------------------------------------------------------------------------------------------
count_opened() { grep -c '"action":"keystore"' "$CARDCTL_HOME/audit.log"; }
opened=$(count_opened)
run env -u CARDCTL_OPERATOR "$CARDCTL" list --operator-card "$DESK" --operator-pin-file "$BAD_PIN" --no-prompt
assert_exit 4
assert_stderr_contains "2 tries left"
assert_error_with_hint
assert_stdout_empty
[[ $(count_opened) == "$opened" ]]
_check $? "a wrong PIN opened the keystore"
run env -u CARDCTL_OPERATOR "$CARDCTL" list --operator-card "$DESK" --operator-pin-file "$BAD_PIN" --no-prompt
assert_exit 4
# one try left: not spent
run env -u CARDCTL_OPERATOR "$CARDCTL" list --operator-card "$DESK" --operator-pin-file "$PIN" --no-prompt
assert_exit 6
assert_stderr_contains "the PIN has 1 try left"
assert_stderr_contains "cardctl pin verify --reader $DESK --force"
"$CARDSIM" apdu "$CARDS/91001.sim" 00A4040005A000000308 00200080 | grep -q '^63C1'
_check $? "the last try was spent"
run "$CARDCTL" pin verify --reader "$DESK" --pin-file "$PIN" --force
assert_exit 0
# a card that is not enrolled
run env -u CARDCTL_OPERATOR "$CARDCTL" list --operator-card "$OTHER" --operator-pin-file "$OTHER_PIN" --no-prompt
assert_exit 7
assert_stderr_contains "the card 91003 opens no keystore here"
assert_stderr_contains "cardctl operator add-card"
# a reader with no card file
run env -u CARDCTL_OPERATOR "$CARDCTL" list --operator-card "sim:$CARDS/none.sim" --operator-pin-file "$PIN" --no-prompt
assert_exit 7

# --- removal ----------------------------------------------------------------------------------------------------
export CARDCTL_PASSPHRASE="test passphrase 1"
cp -p "$CARDCTL_HOME/keystore.cards" "$T_ROOT/cards.old"
run "$CARDCTL" operator remove desk
assert_exit 0
run env -u CARDCTL_PASSPHRASE -u CARDCTL_OPERATOR "$CARDCTL" list --operator-card "$DESK" --operator-pin-file "$PIN" --no-prompt
assert_exit 7
assert_stderr_contains "the card 91001 opens no keystore here"
# an old copy of keystore.cards still unwraps the key, but the operator is gone: refused by role
cp -p "$CARDCTL_HOME/keystore.cards" "$T_ROOT/cards.new"
cp -p "$T_ROOT/cards.old" "$CARDCTL_HOME/keystore.cards"
run env -u CARDCTL_PASSPHRASE -u CARDCTL_OPERATOR "$CARDCTL" list --operator-card "$DESK" --operator-pin-file "$PIN" --no-prompt
assert_exit 6
assert_stderr_contains "'desk' is not an operator of this installation"
cp -p "$T_ROOT/cards.new" "$CARDCTL_HOME/keystore.cards"

# --- another operator, add-card, and a damaged keystore.cards ------------------------------------------------
run "$CARDCTL" operator add desk2 --role helpdesk
run "$CARDCTL" operator add-card desk2 --card-reader "$OTHER" --json
assert_exit 0
assert_json '[.operator, .card_id, .key] | join(" ")' "desk2 91003 eccp256"
run env -u CARDCTL_PASSPHRASE -u CARDCTL_OPERATOR "$CARDCTL" list --operator-card "$OTHER" --operator-pin-file "$OTHER_PIN" --no-prompt
assert_exit 0
cp -p "$CARDCTL_HOME/keystore.cards" "$T_ROOT/cards.good"
head -c 200 "$T_ROOT/cards.good" >"$CARDCTL_HOME/keystore.cards"
run env -u CARDCTL_PASSPHRASE -u CARDCTL_OPERATOR "$CARDCTL" list --operator-card "$OTHER" --operator-pin-file "$OTHER_PIN" --no-prompt
assert_exit 8
assert_stderr_contains "keystore.cards is damaged (file truncated)"
assert_error_with_hint
# an edited entry (another operator's name in it) does not open
sed 's/ desk2 91003 / owner 91003 /' "$T_ROOT/cards.good" >"$CARDCTL_HOME/keystore.cards"
run env -u CARDCTL_PASSPHRASE -u CARDCTL_OPERATOR "$CARDCTL" list --operator-card "$OTHER" --operator-pin-file "$OTHER_PIN" --no-prompt
assert_exit 4
assert_stderr_contains "card 91003 does not open its entry for operator owner"
cp -p "$T_ROOT/cards.good" "$CARDCTL_HOME/keystore.cards"
# the passphrase still opens it
run "$CARDCTL" list
assert_exit 0

# --- the trail --------------------------------------------------------------------------------------------------
run "$CARDCTL" audit show --json
assert_stdout_contains '"outcome": "card-added"'
assert_stdout_contains '"outcome": "card-removed"'
run "$CARDCTL" audit show --by desk --action keystore --json
assert_stdout_contains '"outcome": "opened"'
assert_stdout_contains '"card_id": "91001"'
run "$CARDCTL" audit show --by desk --action respond --json
assert_stdout_contains '"operator": "desk"'
run "$CARDCTL" audit verify --json
assert_exit 0
assert_json .ok true

finish
