#!/usr/bin/env bash
# PUK delivery (cardctl-puc(1), EXPORT): a card's escrowed PUK encrypted to the holder's certificate (CMS, RSA and
# EC recipients, decrypted by openssl cms), as PIN-mailer pages and as JSON; the PUK delivered is the one that
# unblocks the card; files 0600, no overwrite without --force; role, card state and the audit trail.
. "$(dirname "$0")/lib.sh"

export CARDCTL_HOME=$T_ROOT/site CARDCTL_PASSPHRASE="test passphrase 1" CARDCTL_OPERATOR=owner
POLICY=$CARDCTL_SOURCE/examples/policy.toml
NEWPIN=$(secret_file newpin 482917)
ANSWERS=$'Elm Primary\nOak Road\nThe Cure'
ask=(--answer first-school --answer first-street --answer first-concert)
OUTDIR=$T_ROOT/out   # outside $WORK, which must stay empty

run "$CARDCTL" init --policy "$POLICY" --scrypt-n 1024
assert_exit 0
run "$CARDCTL" operator add desk --role helpdesk
run "$CARDCTL" operator add maker --role issuer
staff=$(new_card staff.sim --serial 93001)
yk=$(new_card yk.sim --serial 93002)
run_with_stdin "$ANSWERS" "$CARDCTL" issue --reader "sim:$staff" --template staff --holder 1042 --name 'Alice Example' \
  --email alice@example.com "${ask[@]}" "${CA[@]}"
assert_exit 0
run_with_stdin "$ANSWERS" "$CARDCTL" issue --reader "sim:$yk" --template yubikey --holder 2077 --name 'Bob Example' "${ask[@]}"
assert_exit 0

# Holder keys and certificates made with openssl: EC P-256 (key agreement) for Alice, RSA-2048 for Bob.
H=$T_ROOT/holders
mkdir -p "$H"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj "/CN=Alice Example" \
  -addext keyUsage=critical,keyAgreement -keyout "$H/alice.key" -out "$H/alice.pem" 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=Bob Example" \
  -addext keyUsage=critical,keyEncipherment -keyout "$H/bob.key" -out "$H/bob.pem" 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj "/CN=Alice Signing" \
  -addext keyUsage=critical,digitalSignature -keyout "$H/sign.key" -out "$H/sign.pem" 2>/dev/null
# decrypt FILE KEY CERT [FORM]: the PUK line of the decrypted message.
decrypt() { openssl cms -decrypt -inform "${4:-DER}" -in "$1" -inkey "$2" -recip "$3" | sed -n 's/^PUK: *//p'; }
block() { "$CARDSIM" apdu "$1" 0020008008303030303030FFFF 0020008008303030303030FFFF 0020008008303030303030FFFF >/dev/null; }

export CARDCTL_OPERATOR=maker
snapshot "$WORK"

# --- cms to an EC recipient: the decrypted PUK unblocks the card ---
run "$CARDCTL" puc export 93001 --format cms --recipient "$H/alice.pem" --out "$OUTDIR/cms" --json
assert_exit 0
assert_json '[.ok, (.exported | length), .exported[0].card_id, .exported[0].file] | map(tostring) | join(" ")' \
  "true 1 93001 $OUTDIR/cms/93001.p7m"
[[ $(stat -c %a "$OUTDIR/cms") == 700 && $(stat -c %a "$OUTDIR/cms/93001.p7m") == 600 ]]
_check $? "the output directory is not 0700 or the file not 0600"
puk1=$(decrypt "$OUTDIR/cms/93001.p7m" "$H/alice.key" "$H/alice.pem")
[[ ${#puk1} == 8 ]]
_check $? "the decrypted PUK of 93001 is not 8 characters: '$puk1'"
openssl cms -decrypt -inform DER -in "$OUTDIR/cms/93001.p7m" -inkey "$H/alice.key" -recip "$H/alice.pem" \
  >"$T_CAPTURE/plain" 2>/dev/null
grep -q '^Card:   93001$' "$T_CAPTURE/plain" && grep -q '^Holder: Alice Example (1042)$' "$T_CAPTURE/plain"
_check $? "the CMS content does not name the card and the holder"
grep -q -- "$puk1" "$OUTDIR/cms/93001.p7m"
[[ $? -ne 0 ]]
_check $? "the PUK is in the CMS file in clear"
# the wrong key cannot read it
openssl cms -decrypt -inform DER -in "$OUTDIR/cms/93001.p7m" -inkey "$H/bob.key" -recip "$H/bob.pem" >/dev/null 2>&1
[[ $? -ne 0 ]]
_check $? "Bob's key decrypts Alice's message"
block "$staff"
run "$CARDCTL" status --reader "sim:$staff" --json
assert_json .pin.remaining 0
PUKFILE=$(secret_file puk1 "$puk1")
run "$CARDCTL" unblock --reader "sim:$staff" --puc --puk-file "$PUKFILE" --pin-file "$NEWPIN"
assert_exit 0
run "$CARDCTL" status --reader "sim:$staff" --json
assert_json .pin.remaining 3

# --- cms to an RSA recipient, PEM ---
run "$CARDCTL" puc export --holder 2077 --format cms --recipient "$H/bob.pem" --pem --out "$OUTDIR/cms"
assert_exit 0
assert_stdout_contains "Card 93002: $OUTDIR/cms/93002.p7m"
head -1 "$OUTDIR/cms/93002.p7m" | grep -q -- '-----BEGIN CMS-----'
_check $? "--pem did not write a PEM CMS block"
puk2=$(decrypt "$OUTDIR/cms/93002.p7m" "$H/bob.key" "$H/bob.pem" PEM)
[[ ${#puk2} == 8 && $puk2 != "$puk1" ]]
_check $? "the decrypted PUK of 93002 is wrong: '$puk2'"
block "$yk"
PUKFILE2=$(secret_file puk2 "$puk2")
run "$CARDCTL" unblock --reader "sim:$yk" --puc --puk-file "$PUKFILE2" --pin-file "$NEWPIN"
assert_exit 0

# --- cms refusals: existing file, unfit certificates, several holders to one recipient ---
run "$CARDCTL" puc export 93001 --format cms --recipient "$H/alice.pem" --out "$OUTDIR/cms"
assert_exit 9
assert_stderr_contains "$OUTDIR/cms/93001.p7m already exists"
assert_error_with_hint
run "$CARDCTL" puc export 93001 --format cms --recipient "$H/alice.pem" --out "$OUTDIR/cms" --force
assert_exit 0
[[ $(decrypt "$OUTDIR/cms/93001.p7m" "$H/alice.key" "$H/alice.pem") == "$puk1" ]]
_check $? "the replaced CMS file does not hold the same PUK"
run "$CARDCTL" puc export 93001 --format cms --recipient "$H/sign.pem" --out "$OUTDIR/refused"
assert_exit 2
assert_stderr_contains "is not for key agreement"
assert_error_with_hint
run "$CARDCTL" puc export 93001 93002 --format cms --recipient "$H/alice.pem" --out "$OUTDIR/refused"
assert_exit 2
assert_stderr_contains "several holders"
# the card's own certificate (9a, digitalSignature only: the staff template has no 9d) cannot receive
run "$CARDCTL" puc export 93001 --format cms --out "$OUTDIR/refused"
assert_exit 2
assert_stderr_contains "is not for key agreement"
assert_stderr_contains "--recipient FILE"
# the yubikey template puts no certificate on the card
run "$CARDCTL" puc export 93002 --format cms --out "$OUTDIR/refused"
assert_exit 7
assert_stderr_contains "has no certificate in the inventory"
run "$CARDCTL" puc export 93001 --format cms --out - --recipient "$H/alice.pem"
assert_exit 2
run "$CARDCTL" puc export 93001 --format mailer --out "$OUTDIR/refused" --pem
assert_exit 2
[[ ! -e $OUTDIR/refused ]]
_check $? "a refused export created its output directory"

# --- mailer: one page per card, 0600, the PUK in groups; to stdout with a form feed between pages ---
run "$CARDCTL" puc export 93001 93002 --format mailer --out "$OUTDIR/mail"
assert_exit 0
for f in 93001 93002; do
  [[ $(stat -c %a "$OUTDIR/mail/$f.txt") == 600 ]]
  _check $? "$f.txt is not 0600"
done
grep -q "${puk1:0:4}  ${puk1:4:4}" "$OUTDIR/mail/93001.txt" && grep -q 'Alice Example (1042)' "$OUTDIR/mail/93001.txt" &&
  grep -q 'cardctl unblock --puc' "$OUTDIR/mail/93001.txt" && grep -qi 'destroy' "$OUTDIR/mail/93001.txt" &&
  grep -q "${puk2:0:4}  ${puk2:4:4}" "$OUTDIR/mail/93002.txt"
_check $? "the mailer pages lack the grouped PUK, the holder, the command or the warning"
run "$CARDCTL" puc export 93001 --format mailer --out "$OUTDIR/mail"
assert_exit 9
assert_stderr_contains "already exists"
run "$CARDCTL" puc export 93001 --format mailer --out "$OUTDIR/mail" --force
assert_exit 0
run "$CARDCTL" puc export 93001 93002 --format mailer --out -
assert_exit 0
[[ $(tr -cd '\f' <"$T_CAPTURE/out" | wc -c) == 1 ]]
_check $? "two mailer pages on stdout are not separated by one form feed"
assert_stdout_contains "${puk1:0:4}  ${puk1:4:4}"
assert_stdout_contains "${puk2:0:4}  ${puk2:4:4}"

# --- json: DIR/puks.json 0600, or stdout ---
run "$CARDCTL" puc export 93001 93002 --format json --out "$OUTDIR/json" --json
assert_exit 0
assert_json '[.exported[].file] | unique | .[]' "$OUTDIR/json/puks.json"
[[ $(stat -c %a "$OUTDIR/json/puks.json") == 600 ]]
_check $? "puks.json is not 0600"
[[ $(jq -r '.[] | [.card_id, .holder_id, .name, .email, .puk] | join(",")' "$OUTDIR/json/puks.json") == \
  "93001,1042,Alice Example,alice@example.com,$puk1"$'\n'"93002,2077,Bob Example,,$puk2" ]]
_check $? "puks.json: $(cat "$OUTDIR/json/puks.json")"
run "$CARDCTL" puc export --holder 1042 --format json --out "$OUTDIR/json"
assert_exit 9
assert_stderr_contains "puks.json already exists"
run "$CARDCTL" puc export --holder 1042 --format json --out -
assert_exit 0
assert_json '.[0].puk' "$puk1"
run "$CARDCTL" puc export --holder 1042 --format json --out - --json
assert_exit 2

# --- who may export, and which cards ---
CARDCTL_OPERATOR=desk run "$CARDCTL" puc export 93001 --format mailer --out "$OUTDIR/desk"
assert_exit 6
assert_stderr_contains "operator desk (role helpdesk) may not run puc-export"
[[ ! -e $OUTDIR/desk ]]
_check $? "a refused operator's export created its output directory"
run "$CARDCTL" puc export 99999 --format mailer --out "$OUTDIR/none"
assert_exit 7
assert_stderr_contains "card 99999 is not in the inventory"
run "$CARDCTL" puc export --holder 5555 --format mailer --out "$OUTDIR/none"
assert_exit 7
run "$CARDCTL" puc export --format mailer --out "$OUTDIR/none"
assert_exit 2
CARDCTL_OPERATOR=owner run "$CARDCTL" revoke 93002 --reason lost
assert_exit 0
run "$CARDCTL" puc export 93002 --format mailer --out "$OUTDIR/none"
assert_exit 6
assert_stderr_contains "card 93002 is revoked"
assert_error_with_hint
run "$CARDCTL" puc export --holder 2077 --format mailer --out "$OUTDIR/none"
assert_exit 6
assert_stderr_contains "holder 2077 has no active or pending card"
[[ ! -e $OUTDIR/none ]]
_check $? "a refused export created its output directory"

# --- the audit trail: every export recorded, never the PUK; not counted as an offline unblock ---
export CARDCTL_OPERATOR=owner
run "$CARDCTL" audit verify --json
assert_json .ok true
run "$CARDCTL" audit show --action puc --json
assert_json '[.entries[] | select(.outcome == "exported")] | length' 11
assert_json '[.entries[] | select(.outcome == "exported" and .card_id == "93001" and .operator == "maker")] | length' 7
assert_stdout_not_contains "$puk1"
assert_stdout_not_contains "$puk2"
grep -q -e "$puk1" -e "$puk2" "$CARDCTL_HOME/audit.log"
[[ $? -ne 0 ]]
_check $? "a PUK is in the audit trail"
[[ $(grep '"exported"' "$CARDCTL_HOME/audit.log" | grep -c '"recipient":"CN=Alice Example"') == 2 &&
  $(grep '"exported"' "$CARDCTL_HOME/audit.log" | grep -c '"format":"mailer"') == 5 ]]
_check $? "the exports' details (format, recipient) are not in the audit trail"
run "$CARDCTL" show 93001 --json
assert_json .unblocks.used 0

# --- the card's own key management certificate (9d) from the inventory, in a second installation ---
export CARDCTL_HOME=$T_ROOT/site2
cp "$POLICY" "$T_ROOT/enc.toml"
cat >>"$T_ROOT/enc.toml" <<'EOT'

[templates.enc]
slots = [{ slot = "9a", algorithm = "eccp256" }, { slot = "9d", algorithm = "eccp384" }]
EOT
run "$CARDCTL" init --policy "$T_ROOT/enc.toml" --scrypt-n 1024
assert_exit 0
enc=$(new_card enc.sim --serial 93003)
run_with_stdin "$ANSWERS" "$CARDCTL" issue --reader "sim:$enc" --template enc --holder 3001 --name 'Carol Example' \
  "${ask[@]}" "${CA[@]}"
assert_exit 0
run "$CARDCTL" show 93003 --json
serial=$(jq -r '.slots[] | select(.slot == "9d") | .serial' "$T_CAPTURE/out" | sed 's/^0*//')
[[ -n $serial ]]
_check $? "cardctl show gives no 9d certificate: $(jq -c .slots "$T_CAPTURE/out" 2>&1)"
run "$CARDCTL" puc export 93003 --format cms --out "$OUTDIR/enc"
assert_exit 0
# the message is for the 9d certificate (issuer and serial), through ECDH key agreement
openssl cms -cmsout -print -inform DER -in "$OUTDIR/enc/93003.p7m" >"$T_ROOT/enc.print" 2>&1
# (openssl prints the recipient's serial in decimal; asn1parse gives it back in hex)
dec=$(sed -n 's/^ *serialNumber: \([0-9][0-9]*\)$/\1/p' "$T_ROOT/enc.print" | head -1)
got=$(openssl asn1parse -genstr "INTEGER:${dec:-x}" 2>/dev/null | sed 's/.*INTEGER *://; s/^0*//')
grep -q 'd.kari:' "$T_ROOT/enc.print" && grep -q 'issuer: CN=cardctl test CA' "$T_ROOT/enc.print" &&
  [[ ${got,,} == "${serial,,}" ]]
_check $? "the CMS message is not for the card's 9d certificate (serial $serial, got '$got')"
grep '"exported"' "$CARDCTL_HOME/audit.log" | grep -q '"recipient":"CN=Carol Example"'
_check $? "the recipient of the 9d export is not audited"
# --recipient in DER works too
openssl x509 -in "$H/alice.pem" -outform DER -out "$T_ROOT/alice.der"
run "$CARDCTL" puc export 93003 --format cms --recipient "$T_ROOT/alice.der" --out "$OUTDIR/enc" --force
assert_exit 0
[[ -n $(decrypt "$OUTDIR/enc/93003.p7m" "$H/alice.key" "$H/alice.pem") ]]
_check $? "a DER --recipient did not receive the PUK"
assert_no_new_files "$WORK"

finish
