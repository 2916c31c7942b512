#!/usr/bin/env bash
# The helpdesk's other ways back (cardctl-unblock(1) IN PERSON, cardctl-puc(1) ROTATION): a disclosed PUK is
# replaced when the card comes in, even when the rotation is cut off by a card pulled at any APDU; the holder who
# comes in person is unblocked with the card's admin key (or its escrowed PUK for a YubiKey template) after an ID
# check, over the offline limit when the policy allows it; roles, refusals and the audit trail.
. "$(dirname "$0")/lib.sh"

export CARDCTL_HOME=$T_ROOT/site CARDCTL_PASSPHRASE="test passphrase 1" CARDCTL_OPERATOR=owner
POLICY=$CARDCTL_SOURCE/examples/policy.toml   # staff: admin PIN reset; yubikey: PUK only; 3 unblocks per 30 days
RIGHT=$(secret_file right "first-school: Elm Primary
first-street: Oak Road
first-concert: The Cure")
NEWPIN=$(secret_file newpin 482917)
block() { "$CARDSIM" apdu "$1" 0020008008303030303030FFFF 0020008008303030303030FFFF 0020008008303030303030FFFF \
  0020008008303030303030FFFF 0020008008303030303030FFFF >/dev/null; }
pin_left() { "$CARDCTL" status --reader "sim:$1" --json | jq -r .pin.remaining; }
puk_left() { "$CARDCTL" status --reader "sim:$1" --json | jq -r .puk.remaining; }

run "$CARDCTL" init --policy "$POLICY" --scrypt-n 1024
assert_exit 0
run "$CARDCTL" operator add desk --role helpdesk
run "$CARDCTL" operator add maker --role issuer
staff=$(new_card staff.sim --serial 93001)
yk=$(new_card yk.sim --serial 93002 --no-admin-pin-reset)
for c in "staff:$staff:1042:Alice Example" "yubikey:$yk:1043:Bob Example"; do
  IFS=: read -r tpl path holder name <<<"$c"
  run_with_stdin $'Elm Primary\nOak Road\nThe Cure' "$CARDCTL" issue --reader "sim:$path" --template "$tpl" \
    --holder "$holder" --name "$name" --answer first-school --answer first-street --answer first-concert "${CA[@]}"
  assert_exit 0
done

# --- PUK rotation: disclosed, then replaced when the card comes in ----------------------------------------------
export CARDCTL_OPERATOR=desk
run "$CARDCTL" puc rotate --reader "sim:$yk" --dry-run --json
assert_exit 0
assert_json '[.dry_run, .card_id, .rotation_due, .puk_tries_left] | map(tostring) | join(" ")' "true 93002 false 3"
run "$CARDCTL" puc show 93002 --answers-file "$RIGHT" --json
assert_exit 0
assert_json .name "Bob Example"
puk1=$(jq -r .puk "$T_CAPTURE/out")
assert_stderr_contains "replaced the next time the card is connected"
run "$CARDCTL" show 93002 --json
assert_json .puk_rotation_due true
run "$CARDCTL" puc rotate 93001 --reader "sim:$yk"
assert_exit 2
assert_stderr_contains "the card in sim:$yk is 93002, not 93001"
CARDCTL_OPERATOR=maker run "$CARDCTL" puc show 93002 --answers-file "$RIGHT"
assert_exit 6   # an issuer may rotate, not disclose
before=$(cat "$yk" | sha256sum)
# the card is pulled at every APDU of the rotation in turn: each run is refused as a removed card, and the next run
# finishes (the new PUK was escrowed before the card was changed)
done_at=
for n in $(seq 0 30); do
  "$CARDSIM" fault "$yk" --vanish-after "$n" 2>/dev/null
  run "$CARDCTL" puc rotate --reader "sim:$yk" --json
  "$CARDSIM" fault "$yk" --clear 2>/dev/null
  if [[ $RC == 0 ]]; then done_at=$n; break; fi
  assert_exit 3
done
[[ -n $done_at ]]
_check $? "puc rotate never finished"
assert_json '[.ok, .card_id, .was_due] | map(tostring) | join(" ")' "true 93002 true"
[[ $(puk_left "$yk") == 3 ]]
_check $? "the rotation left the PUK counter at $(puk_left "$yk")"
run "$CARDCTL" show 93002 --json
assert_json .puk_rotation_due false
CARDCTL_OPERATOR=owner run "$CARDCTL" audit show --card 93002 --action puc --json
assert_json '[.entries[] | select(.outcome == "rotated")] | length' 1
block "$yk"
PUK1=$(secret_file puk1 "$puk1")
run "$CARDCTL" unblock --reader "sim:$yk" --puc --puk-file "$PUK1" --pin-file "$NEWPIN" --force
assert_exit 4   # the disclosed PUK is gone
run "$CARDCTL" puc show 93002 --answers-file "$RIGHT" --json
puk2=$(jq -r .puk "$T_CAPTURE/out")
[[ $puk2 != "$puk1" && ${#puk2} == 8 ]]
_check $? "the rotated PUK '$puk2' is not a new 8-character PUK"
PUK2=$(secret_file puk2 "$puk2")
# --- in person ------------------------------------------------------------------------------------------------
block "$staff"
run "$CARDCTL" unblock --reader "sim:$staff" --in-person --pin-file "$NEWPIN"
assert_exit 2
assert_stderr_contains "the ID check is required"
run "$CARDCTL" unblock --reader "sim:$staff" --id-check 'passport X1' --pin-file "$NEWPIN"
assert_exit 2
assert_stderr_contains "--id-check and --dry-run go with --in-person"
CARDCTL_OPERATOR=maker run "$CARDCTL" unblock --reader "sim:$staff" --in-person --id-check 'passport X1' --pin-file "$NEWPIN"
assert_exit 6
assert_stderr_contains "may not run in-person"
run "$CARDCTL" unblock --reader "sim:$staff" --in-person --id-check 'passport X1' --dry-run --json
assert_exit 0
assert_json '[.dry_run, .card_id, .holder_id, .name, .method, .over_limit] | map(tostring) | join(" ")' \
  "true 93001 1042 Alice Example admin-key false"
[[ $(pin_left "$staff") == 0 ]]
_check $? "the dry run changed the PIN"
# over the offline limit: the policy allows the holder in person (helpdesk.in_person_over_limit = true)
sed 's/^unblocks_per_period = 3 /unblocks_per_period = 0 /' "$POLICY" >"$T_ROOT/zero.toml"
sed 's/^in_person_over_limit = true /in_person_over_limit = false/' "$T_ROOT/zero.toml" >"$T_ROOT/strict.toml"
CARDCTL_OPERATOR=owner run "$CARDCTL" policy apply "$T_ROOT/zero.toml" --yes
assert_exit 0
run "$CARDCTL" unblock --reader "sim:$staff" --in-person --id-check 'passport X1234567' --pin-file "$NEWPIN" --json
assert_exit 0
assert_json '[.ok, .card_id, .holder_id, .name, .method, .over_limit] | map(tostring) | join(" ")' \
  "true 93001 1042 Alice Example admin-key true"
assert_stderr_contains "1042 (Alice Example): check that this is the person"
run "$CARDCTL" pin verify --reader "sim:$staff" --pin-file "$NEWPIN"
assert_exit 0
# the YubiKey template has no admin PIN reset: the escrowed PUK is used, never shown
block "$yk"
run "$CARDCTL" unblock --reader "sim:$yk" --in-person --id-check 'known personally' --pin-file "$NEWPIN" --json
assert_exit 0
assert_json .method puk
assert_stdout_not_contains "$puk2"
# the policy says no in person over the limit
CARDCTL_OPERATOR=owner run "$CARDCTL" policy apply "$T_ROOT/strict.toml" --yes
assert_exit 0
block "$staff"
run "$CARDCTL" unblock --reader "sim:$staff" --in-person --id-check 'passport X1234567' --pin-file "$NEWPIN"
assert_exit 6
assert_stderr_contains "in_person_over_limit = false"
[[ $(pin_left "$staff") == 0 ]]
_check $? "a refused in-person unblock changed the PIN"
# a revoked card is not unblocked
CARDCTL_OPERATOR=owner run "$CARDCTL" policy apply "$T_ROOT/zero.toml" --yes
run "$CARDCTL" revoke 93001 --reason lost
run "$CARDCTL" unblock --reader "sim:$staff" --in-person --id-check 'passport X1234567' --pin-file "$NEWPIN"
assert_exit 6
assert_stderr_contains "is revoked"

# --- a PUK changed by its holder: the rotation says why, and never spends the last try ------------------------
block "$yk"
CARDCTL_HOME= run "$CARDCTL" unblock --reader "sim:$yk" --puc --puk-file "$PUK2" --pin-file "$NEWPIN"
assert_exit 0   # on the holder's workstation: not recorded, the PUK stays
run "$CARDCTL" puk change --reader "sim:$yk" --puk-file "$PUK2" --new-puk-file "$(secret_file own 87654321)"
assert_exit 0
run "$CARDCTL" puc rotate --reader "sim:$yk"
assert_exit 4
assert_stderr_contains "did not accept its escrowed PUK"
assert_stderr_contains "changed the PUK"
run "$CARDCTL" puc rotate --reader "sim:$yk"
assert_exit 4
assert_stderr_contains "wrong PUK, 1 try left"
run "$CARDCTL" puc rotate --reader "sim:$yk"
assert_exit 6   # the last try is never spent without --force
assert_stderr_contains "--force"
[[ $(puk_left "$yk") == 1 ]]
_check $? "a refused rotation spent a PUK try"


# --- the audit trail -------------------------------------------------------------------------------------------
CARDCTL_OPERATOR=owner run "$CARDCTL" audit verify --json
assert_json .ok true
CARDCTL_OPERATOR=owner run "$CARDCTL" audit show --action unblock --json
assert_json '[.entries[] | select(.outcome == "in-person")] | length' 2
assert_json '[.entries[] | select(.outcome == "refused")] | length' 2
audit_text | grep -q '"id_check","passport X1234567"\|"id_check":"passport X1234567"'
_check $? "the audit trail does not record the ID check"
! audit_text | grep -q "$puk2"
_check $? "a PUK is in the audit trail"

finish
