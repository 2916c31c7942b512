#!/usr/bin/env bash
# Issuance for real through the real cardctl on sim: cards (cardctl-issue(1), cardctl-retire(1)): keys generated on
# the card and certified by the CA, the card surveyed before anything is written (the same refusal for every admin
# key algorithm, a card issued elsewhere, a template the card cannot do), --dry-run, a half-issued card started
# over, --replace, retire with and without the card and issuing again, --csr-out and --import-certificates, and
# batches over sim: readers (malformed rows with file:line, a second run, two batches at once on one file).
. "$(dirname "$0")/lib.sh"

export CARDCTL_HOME=$T_ROOT/site CARDCTL_PASSPHRASE="test passphrase 1" CARDCTL_OPERATOR=issuer-1
POLICY=$T_ROOT/policy.toml
# The example templates plus one that needs firmware 5.4 (AES admin key) and one with a P-384 key in a retired slot.
cat "$CARDCTL_SOURCE/examples/policy.toml" - >"$POLICY" <<'TOML'

[templates.tdes-keys]
admin_key = { algorithm = "tdes", diversify = true }
[[templates.tdes-keys.slots]]
slot = "82"
algorithm = "eccp384"
[templates.tdes-keys.certificate]
subject = "CN={name},OU={holder_id}"
email = "{email}"
upn = "{holder_id}@corp.example.com"

[templates.aes128-t]
admin_key = { algorithm = "aes128", diversify = true }
[templates.aes256-t]
admin_key = { algorithm = "aes256", diversify = true }
TOML
ANSWERS=$'Elm Primary\nOak Road\nThe Cure'
ask=(--answer first-school --answer first-street --answer first-concert)

run "$CARDCTL" init --policy "$POLICY" --scrypt-n 1024
assert_exit 0

# --- one card, keys and certificates ----------------------------------------------------------------------------
card=$(new_card c1.sim --serial 61001)
run "$CARDCTL" issue --reader "sim:$card" --template staff --holder 1042 --dry-run
assert_exit 0
assert_stdout_contains "Card 61001 (factory); the steps, none done:"
assert_stdout_contains "generate an eccp256 key on the card in slot 9a (PIN policy once)"
assert_stdout_contains "set the admin key: AES-192, derived from master key version 1"
run "$CARDCTL" list --state pending --json
assert_json '.cards | length' 0
"$CARDSIM" apdu "$card" 00A4040005A000000308 00F7009B00 | grep -q '050101' # admin key still the factory one
_check $? "--dry-run changed the admin key"

run_with_stdin "$ANSWERS" "$CARDCTL" issue --reader "sim:$card" --template staff --holder 1042 --name 'Example, Alice' \
  --email alice@example.com "${ask[@]}" "${CA[@]}" --json
assert_exit 0
assert_json '[.ok, .card_id, .state, .found, (.slots | map(.slot) | join(","))] | join(" ")' "true 61001 active factory 9a,9c"
pin=$(jq -r .first_pin "$T_CAPTURE/out")
run "$CARDCTL" show 61001 --json
assert_json '.slots | length' 2
assert_json '.slots[0].subject' 'CN=Example\, Alice'
assert_json '.slots[0].issuer' 'CN=cardctl test CA'
jq -r '.slots[0].certificate' "$T_CAPTURE/out" >"$T_ROOT/9a.pem"
openssl verify -CAfile "$T_ROOT/ca/ca.pem" "$T_ROOT/9a.pem" >/dev/null 2>&1
_check $? "the certificate of slot 9a does not verify against the CA"
openssl x509 -in "$T_ROOT/9a.pem" -noout -ext extendedKeyUsage,subjectAltName 2>/dev/null | grep -q "1.3.6.1.4.1.311.20.2.2\|Microsoft Smartcard Login"
_check $? "the 9a certificate has no smart-card logon EKU"
# The certificate is on the card (signatures with its key are checked through OpenSC in tests/pcsc).
run "$CARDSIM" apdu "$card" 00A4040005A000000308 00CB3FFF055C035FC105
assert_stdout_matches '^5382[0-9A-F]+70'

# --- the card is surveyed first: the same refusal for every algorithm --------------------------------------------
serial=61100
for tpl in yubikey aes128-t aes256-t; do   # TDES, AES-128, AES-256 admin keys
  serial=$((serial + 1))
  c=$(new_card "issued-$tpl.sim" --serial $serial)
  run_with_stdin "$ANSWERS" "$CARDCTL" issue --reader "sim:$c" --template "$tpl" --holder "h-$tpl" "${ask[@]}"
  assert_exit 0
  before=$(sha256sum <"$c")
  run_with_stdin "$ANSWERS" "$CARDCTL" issue --reader "sim:$c" --template "$tpl" --holder "other-$tpl" "${ask[@]}"
  assert_exit 9
  assert_stderr_contains "card $serial is already issued to holder h-$tpl (active); retire it first"
  assert_error_with_hint
  [[ $(sha256sum <"$c") == "$before" ]]
  _check $? "a refused issue changed card $serial"
done
old=$(new_card old-firmware.sim --serial 61300 --version 4.3.7)
run_with_stdin "$ANSWERS" "$CARDCTL" issue --reader "sim:$old" --template staff --holder y "${ask[@]}" "${CA[@]}"
assert_exit 3
assert_stderr_contains "template staff asks for an AES-192 admin key, which card 61300 cannot do: AES admin keys need firmware 5.4 or later"
run "$CARDSIM" apdu "$old" 00A4040005A000000308 00CB3FFF055C035FC102
assert_stdout_contains "6A82"   # no CHUID was written
old3=$(new_card very-old.sim --serial 61301 --version 3.5.0)
run_with_stdin "$ANSWERS" "$CARDCTL" issue --reader "sim:$old3" --template tdes-keys --holder y "${ask[@]}" "${CA[@]}"
assert_exit 3
assert_stderr_contains "P-384 needs firmware 4.0 or later"
run_with_stdin "$ANSWERS" "$CARDCTL" issue --reader "sim:$(new_card noca.sim --serial 61302)" --template staff --holder z "${ask[@]}"
assert_exit 2
assert_stderr_contains "no CA is given to certify them"

# A certificate profile the CA would refuse is refused before the card is touched.
bad=$(new_card bad-email.sim --serial 61303)
before=$(sha256sum <"$bad")
run_with_stdin "$ANSWERS" "$CARDCTL" issue --reader "sim:$bad" --template staff --holder bad --email 'not an address' \
  "${ask[@]}" "${CA[@]}"
assert_exit 2
assert_stderr_contains "is not an email address"
[[ $(sha256sum <"$bad") == "$before" ]]
_check $? "a refused profile changed the card"
run "$CARDCTL" list --holder bad --json
assert_json '.cards | length' 0

# --- a card pulled half-way is started over ------------------------------------------------------------------------
half=$(new_card half.sim --serial 61400)
"$CARDSIM" fault "$half" --vanish-after 14 >/dev/null
run_with_stdin "$ANSWERS" "$CARDCTL" issue --reader "sim:$half" --template staff --holder 2000 "${ask[@]}" "${CA[@]}"
assert_exit 3
"$CARDSIM" fault "$half" --clear >/dev/null
run "$CARDCTL" list --state pending --json
assert_json '[.cards[].card_id] | join(",")' 61400
run "$CARDCTL" issue --reader "sim:$half" --template staff --holder 2000 --dry-run
assert_stdout_contains "Card 61400 (pending)"
assert_stdout_contains "reset the half-issued card to its factory state"
# The holder's half-issued card blocks a second one until it is finished or retired.
run_with_stdin "$ANSWERS" "$CARDCTL" issue --reader "sim:$(new_card other.sim --serial 61401)" --template staff \
  --holder 2000 "${ask[@]}" "${CA[@]}"
assert_exit 9
assert_stderr_contains "holder 2000 has a half-issued staff card, 61400"
run "$CARDCTL" issue --reader "sim:$half" --template staff --holder 2000 "${CA[@]}" --json
assert_exit 0
assert_json '[.found, .state] | join(" ")' "pending active"
run "$CARDCTL" audit verify --json
assert_json .ok true

# --- --replace, retire, issue again ------------------------------------------------------------------------------
spare=$(new_card spare.sim --serial 61500)
run "$CARDCTL" issue --reader "sim:$spare" --template staff --holder 1042 "${CA[@]}"
assert_exit 9
assert_stderr_contains "holder 1042 already has a staff card, 61001 (active)"
run "$CARDCTL" issue --reader "sim:$spare" --template staff --holder 1042 --replace "${CA[@]}" --json
assert_exit 0
assert_json .replaced_card 61001
run "$CARDCTL" show 61001 --json
assert_json .state revoked
run "$CARDCTL" retire 61001 --reader "sim:$spare"
assert_exit 2
assert_stderr_contains "is card 61500, not 61001"
run "$CARDCTL" retire 61001 --reader "sim:$card" --json
assert_exit 0
assert_json '[.previous_state, .state, .wiped] | map(tostring) | join(" ")' "revoked retired true"
run "$CARDSIM" apdu "$card" 00A4040005A000000308 00F70000009B 00CB3FFF055C035FC105
assert_stdout_contains "6A82"  # the certificate is gone
run_with_stdin "$ANSWERS" "$CARDCTL" issue --reader "sim:$card" --template staff --holder 3000 "${ask[@]}" "${CA[@]}" --json
assert_exit 0
assert_json .card_id 61001
# A retire cut short after the card was reset is finished by retiring again.
cut=$(new_card cut.sim --serial 61502)
run_with_stdin "$ANSWERS" "$CARDCTL" issue --reader "sim:$cut" --template staff --holder 3001 "${ask[@]}" "${CA[@]}"
assert_exit 0
for n in 12 18; do
  "$CARDSIM" fault "$cut" --vanish-after "$n" >/dev/null
  run "$CARDCTL" retire 61502 --reader "sim:$cut"
  "$CARDSIM" fault "$cut" --clear >/dev/null
done
run "$CARDCTL" retire 61502 --reader "sim:$cut" --json
assert_exit 0
assert_json '[.state, .wiped] | map(tostring) | join(" ")' "retired true"
# Issuing a retired card again, cut half-way: pending, and the trail (which says retired) still verifies.
"$CARDSIM" fault "$cut" --vanish-after 20 >/dev/null
run_with_stdin "$ANSWERS" "$CARDCTL" issue --reader "sim:$cut" --template staff --holder 3002 "${ask[@]}" "${CA[@]}"
assert_exit 3
"$CARDSIM" fault "$cut" --clear >/dev/null
run "$CARDCTL" audit verify --json
assert_json .ok true
run "$CARDCTL" issue --reader "sim:$cut" --template staff --holder 3002 "${CA[@]}" --json
assert_exit 0
assert_json .found pending
run "$CARDCTL" retire 61500 --absent --json
assert_exit 0
assert_json .wiped false
run "$CARDCTL" retire 61500 --absent
assert_exit 9
assert_stderr_contains "already retired"
run "$CARDCTL" retire 99999 --absent
assert_exit 7
run "$CARDCTL" audit verify --json
assert_json .ok true

# --- an outside CA: --csr-out, then --import-certificates ----------------------------------------------------------
ext=$(new_card ext.sim --serial 61600)
run_with_stdin "$ANSWERS" "$CARDCTL" issue --reader "sim:$ext" --template tdes-keys --holder 4000 --name Dora \
  --email dora@example.com "${ask[@]}" --csr-out "$T_ROOT/csr" --json
assert_exit 0
assert_json '[.state, .awaiting_certificates] | map(tostring) | join(" ")' "pending true"
[[ -s $T_ROOT/csr/61600-82.csr ]]
_check $? "no CSR written"
openssl req -in "$T_ROOT/csr/61600-82.csr" -noout -verify -subject 2>&1 | grep -q "CN = Dora"
_check $? "the CSR does not verify or lacks the subject"
run "$CARDCTL" issue --reader "sim:$ext" --template tdes-keys --holder 4000 "${CA[@]}"
assert_exit 9
assert_stderr_contains "card 61600 waits for its certificates"
mkdir -p "$T_ROOT/certs"
run "$CARDCTL" issue --reader "sim:$ext" --import-certificates "$T_ROOT/certs"
assert_exit 7
# A certificate for another key is refused.
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -subj /CN=Mallory -keyout /dev/null \
  -out "$T_ROOT/other.csr" 2>/dev/null
openssl x509 -req -in "$T_ROOT/other.csr" -CA "$T_ROOT/ca/ca.pem" -CAkey "$T_ROOT/ca/ca.key" -days 30 \
  -out "$T_ROOT/certs/61600-82.crt" 2>/dev/null
run "$CARDCTL" issue --reader "sim:$ext" --import-certificates "$T_ROOT/certs"
assert_exit 3
assert_stderr_contains "is not for the key in slot 82 of card 61600"
openssl x509 -req -in "$T_ROOT/csr/61600-82.csr" -CA "$T_ROOT/ca/ca.pem" -CAkey "$T_ROOT/ca/ca.key" -days 30 \
  -out "$T_ROOT/certs/61600-82.crt" 2>/dev/null
run "$CARDCTL" issue --reader "sim:$ext" --import-certificates "$T_ROOT/certs" --json
assert_exit 0
assert_json '[.card_id, .state, .found] | join(" ")' "61600 active awaiting-certificates"
run "$CARDCTL" show 61600 --json
assert_json '.slots[0].slot' 82

# --- batches over sim: readers -------------------------------------------------------------------------------------
cat >"$T_ROOT/people.csv" <<'CSV'
holder,name,email,template
5001,"Doe, Jane",jane@example.com,staff
5002,Bob,bob@example.com,staff
,Nobody,,staff
5003,"Carl ""CJ"" Jones",,staff
5004,Dan,dan@example.com,nosuch
5005,Eve,eve@example.com,staff
CSV
readers=()
for i in 1 2 3 4 5 6; do readers+=(--readers "sim:$(new_card "b$i.sim" --serial $((62000 + i)))"); done
run "$CARDCTL" issue --batch "$T_ROOT/people.csv" "${readers[@]}" "${CA[@]}" --holder 1 --skip-bad-rows
assert_exit 2
assert_stderr_contains "--batch takes the holders from its file"
run "$CARDCTL" issue --batch "$T_ROOT/people.csv" "${readers[@]}" "${CA[@]}"
assert_exit 2
assert_stderr_contains "people.csv:4: holder: is empty"
assert_stderr_contains "people.csv:6: template: no card template 'nosuch' in the policy"
assert_stderr_contains "nothing was issued"
run "$CARDCTL" issue --batch "$T_ROOT/people.csv" "${readers[@]:0:4}" "${CA[@]}" --skip-bad-rows --report "$T_ROOT/report.json" --json
assert_exit 10  # two readers for four holders: one holder not reached
assert_json '[.summary.issued, .summary.not_reached, (.bad_rows | length)] | map(tostring) | join(" ")' "2 2 2"
[[ $(stat -c %a "$T_ROOT/report.json") == 600 ]]
_check $? "the report (it holds first PINs) is not 0600"
run "$CARDCTL" issue --batch "$T_ROOT/people.csv" "${readers[@]}" "${CA[@]}" --skip-bad-rows --json
assert_exit 0
assert_json '[.holders[].outcome] | join(" ")' "already-issued already-issued issued issued"
# Two batches at once on the same file and new cards: every holder exactly once.
cat >"$T_ROOT/more.csv" <<'CSV'
holder,template
6001,staff
6002,staff
6003,staff
6004,staff
CSV
r1=() r2=()
for i in 1 2 3; do r1+=(--readers "sim:$(new_card "p$i.sim" --serial $((63000 + i)))"); done
for i in 4 5 6; do r2+=(--readers "sim:$(new_card "p$i.sim" --serial $((63000 + i)))"); done
"$CARDCTL" issue --batch "$T_ROOT/more.csv" "${r1[@]}" "${CA[@]}" --json >"$T_ROOT/b1.json" 2>/dev/null &
b1=$!
"$CARDCTL" issue --batch "$T_ROOT/more.csv" "${r2[@]}" "${CA[@]}" --json >"$T_ROOT/b2.json" 2>/dev/null &
b2=$!
wait $b1 $b2
run "$CARDCTL" list --template staff --json
for h in 6001 6002 6003 6004; do
  n=$(jq "[.cards[] | select(.holder_id == \"$h\")] | length" "$T_CAPTURE/out")
  [[ $n == 1 ]]
  _check $? "holder $h has $n cards after two batches at once"
done
issued=$(jq -s '[.[].holders[] | select(.outcome == "issued")] | length' "$T_ROOT/b1.json" "$T_ROOT/b2.json")
[[ $issued == 4 ]]
_check $? "two batches issued $issued cards for 4 holders"
run "$CARDCTL" audit verify --json
assert_json .ok true

# A YubiKey 5.7 leaves the factory with an AES-192 admin key (the same default bytes): issuance reads its algorithm
# from GET METADATA 9B and authenticates with it, then sets the template's own key.
card=$(new_card aes192-factory.sim --serial 61900 --admin-alg aes192 --version 5.7.1)
run "$CARDCTL" status --reader "sim:$card" --json
assert_json '[.management_key.algorithm, .management_key.default] | map(tostring) | join(" ")' "aes192 true"
run_with_stdin "$ANSWERS" "$CARDCTL" issue --reader "sim:$card" --template staff --holder 6190 "${ask[@]}" "${CA[@]}" --json
assert_exit 0
assert_json '.card_id' 61900
run "$CARDCTL" status --reader "sim:$card" --json
assert_json '.management_key.default' false

finish
