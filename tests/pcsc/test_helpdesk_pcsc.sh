#!/bin/bash
# Every way back of cardctl-puc(1), cardctl-unblock(1) IN PERSON, cardctl-so-unblock(1) and cardctl-operator(1),
# through a real pcscd on cardsim cards, checked with yubico-piv-tool where the card's own state matters:
# the keystore opened by a helpdesk operator's card (no passphrase), a PUK disclosed to the identified holder and
# refused to an issuer, the PUK unblock recorded and the disclosed PUK replaced, an in-person unblock over the
# offline limit, the SO token issued and unblocked with its key (a wrong key leaves it blocked), the operator's card
# refused once the operator is removed, and an intact audit trail recording each of them.
set -euo pipefail
source "$HARNESS"
pcsc_require yubico-piv-tool openssl jq
W=$PCSC_DIR/work
mkdir -p "$W"
export CARDCTL_HOME=$PCSC_DIR/site CARDCTL_PASSPHRASE="pcsc passphrase 1" CARDCTL_OPERATOR=owner
cardctl() { "$CARDCTL_BIN" "$@"; }
secret() { printf '%s\n' "$2" >"$W/$1" && chmod 600 "$W/$1" && echo "$W/$1"; }
source "$CARDCTL_SOURCE/tests/support/check_of.sh"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj "/CN=cardctl test CA" \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
  -keyout "$W/ca.key" -out "$W/ca.pem" 2>/dev/null
chmod 600 "$W/ca.key"
CA=(--ca-cert "$W/ca.pem" --ca-key "$W/ca.key")
RIGHT=$(secret right $'first-school: Elm Primary\nfirst-street: Oak Road\nfirst-concert: The Cure')
NEWPIN=$(secret newpin 482917)
SOPIN=$(secret sopin 'Sx9kq2Tp')
SONEW=$(secret sonew 'Tq8mw4zR')
cat "$CARDCTL_SOURCE/examples/policy.toml" - >"$W/policy.toml" <<'TOML'

[templates.operator]
admin_key = { algorithm = "aes192", diversify = true }
[[templates.operator.slots]]
slot = "9d"
algorithm = "eccp256"
[templates.operator.certificate]
subject = "CN={name}"
TOML
sed 's/^unblocks_per_period = 3 /unblocks_per_period = 0 /' "$W/policy.toml" >"$W/zero.toml"
cardctl init --policy "$W/policy.toml" --scrypt-n 1024 >/dev/null

"$CARDSIM_BIN" create "$W/staff.card" --serial 72000 >/dev/null 2>&1
"$CARDSIM_BIN" create "$W/yk.card" --serial 72001 --no-admin-pin-reset >/dev/null 2>&1
"$CARDSIM_BIN" create "$W/op.card" --serial 72002 >/dev/null 2>&1
"$CARDSIM_BIN" create "$W/so.card" --serial 72003 >/dev/null 2>&1
pcsc_start 2 "$W/staff.card" "$W/yk.card" "$W/op.card" "$W/so.card"
STAFF=@${PCSC_READERS[0]} YK=@${PCSC_READERS[1]} OP=@${PCSC_READERS[2]} SO=@${PCSC_READERS[3]}
block() {  # block READER TRIES: wrong PINs through yubico-piv-tool until the PIN is blocked
  for _ in $(seq "$2"); do yubico-piv-tool -r "${1#@}" -a verify-pin -P 000000 >/dev/null 2>&1 || true; done
}
pin_works() { yubico-piv-tool -r "${1#@}" -a verify-pin -P "$2" >/dev/null 2>&1; }

issue() {  # issue READER TEMPLATE HOLDER NAME
  printf 'Elm Primary\nOak Road\nThe Cure\n' | cardctl issue --reader "$1" --template "$2" --holder "$3" --name "$4" \
    --answer first-school --answer first-street --answer first-concert "${CA[@]}" --json >"$W/issue.$3.json" ||
    pcsc_fail "issuing $2 to $3"
}
issue "$STAFF" staff 1042 "Alice Example"
issue "$YK" yubikey 1043 "Bob Example"
issue "$OP" operator desk-card "Desk One"
OPPIN=$(secret oppin "$(jq -r .first_pin "$W/issue.desk-card.json")")
cardctl operator add desk --role helpdesk --card-reader "$OP" >/dev/null || pcsc_fail "enrolling the desk operator's card"
cardctl operator add maker --role issuer >/dev/null

# --- the helpdesk opens the keystore with its card: no passphrase ------------------------------------------------
asdesk=(env -u CARDCTL_PASSPHRASE -u CARDCTL_OPERATOR "$CARDCTL_BIN")
card_opts=(--operator-card "$OP" --operator-pin-file "$OPPIN" --no-prompt)
"${asdesk[@]}" puc show 72001 --answers-file "$RIGHT" "${card_opts[@]}" --json >"$W/puc.json" ||
  pcsc_fail "puc show with the operator's card: $(cat "$W/puc.json")"
[[ $(jq -r '[.card_id, .holder_id, .name] | join(" ")' "$W/puc.json") == "72001 1043 Bob Example" ]] ||
  pcsc_fail "puc show: $(cat "$W/puc.json")"
PUK1=$(secret puk1 "$(jq -r .puk "$W/puc.json")")
rc=0
CARDCTL_OPERATOR=maker cardctl puc show 72001 --answers-file "$RIGHT" >/dev/null 2>"$W/err" || rc=$?
[[ $rc == 6 ]] && grep -q "may not run puc" "$W/err" || pcsc_fail "an issuer got a PUK disclosed (exit $rc): $(cat "$W/err")"

# --- the PUK unblocks the YubiKey-template card; at the helpdesk the use is recorded and the PUK replaced ---------
block "$YK" 5
rc=0
CARDCTL_OPERATOR=desk cardctl unblock --reader "$YK" --puc --puk-file "$PUK1" --pin-file "$NEWPIN" --json >"$W/u.json" ||
  rc=$?
[[ $rc == 0 && $(jq -r '[.recorded, .puk_rotated] | join(" ")' "$W/u.json") == "true true" ]] ||
  pcsc_fail "unblock --puc (exit $rc): $(cat "$W/u.json")"
pin_works "$YK" 482917 || pcsc_fail "yubico-piv-tool: the new PIN does not verify after the PUK unblock"
yubico-piv-tool -r "${YK#@}" -a unblock-pin -P "$(head -n1 "$PUK1")" -N 111111 >/dev/null 2>&1 &&
  pcsc_fail "the disclosed PUK still works after the rotation"
[[ $(cardctl status --reader "$YK" --json | jq .puk.remaining) == 2 ]] || pcsc_fail "PUK counter after one wrong try"
cardctl puc rotate --reader "$YK" --dry-run --json | jq -e '.rotation_due == false' >/dev/null ||
  pcsc_fail "the rotation is still due"

# --- in person, over the offline-unblock limit -------------------------------------------------------------------
cardctl policy apply "$W/zero.toml" --yes >/dev/null || pcsc_fail "policy apply"
block "$STAFF" 3
CARDCTL_OPERATOR=desk cardctl unblock --reader "$STAFF" --in-person --id-check 'passport X1234567' \
  --pin-file "$NEWPIN" --json >"$W/ip.json" || pcsc_fail "unblock --in-person: $(cat "$W/ip.json")"
[[ $(jq -r '[.method, .over_limit] | join(" ")' "$W/ip.json") == "admin-key true" ]] || pcsc_fail "in person: $(cat "$W/ip.json")"
pin_works "$STAFF" 482917 || pcsc_fail "yubico-piv-tool: the PIN set in person does not verify"

# --- the SO token: issued with its key shown once and typed back; unblocked with it --------------------------------
rm -f "$W/so.in" "$W/so.out"
mkfifo "$W/so.in" "$W/so.shown"
# The key is shown on stderr (the one JSON document on stdout is the outcome), then typed back on stdin.
cardctl init --so-token --reader "$SO" --pin-file "$SOPIN" --json <"$W/so.in" >"$W/so.out" 2>"$W/so.shown" &
sopid=$!
exec {sow}>"$W/so.in" {sor}<"$W/so.shown"
shown=
while IFS= read -r line <&"$sor"; do
  shown+=$line$'\n'
  [[ $line == Check:* ]] && break
done
KEY="$(sed -n 's/^SO unblock key: *//p' <<<"$shown") $(sed -n 's/^Check: *//p' <<<"$shown")"
echo "$KEY" >&"$sow"
exec {sow}>&-
cat <&"$sor" >"$W/so.err"
exec {sor}<&-
wait "$sopid" || pcsc_fail "init --so-token: $(cat "$W/so.err")"
SOKEY=$(secret sokey "$KEY")
block "$SO" 3
hex=${KEY% *}
hex=${hex// /}
[[ ${hex:0:1} == 0 ]] && wrong=1${hex:1} || wrong=0${hex:1}
WRONGKEY=$(secret wrongkey "$wrong $(check_of 72003 "$wrong")")   # its check matches: the token must refuse it
rc=0
cardctl so-unblock --reader "$SO" --so-key-file "$WRONGKEY" --pin-file "$SONEW" >/dev/null 2>"$W/err" || rc=$?
[[ $rc == 4 ]] || pcsc_fail "a wrong SO key: exit $rc: $(cat "$W/err")"
pin_works "$SO" 'Tq8mw4zR' && pcsc_fail "a wrong SO key unblocked the token"
cardctl status --reader "$SO" --json | jq -e '.pin.blocked' >/dev/null || pcsc_fail "a wrong SO key changed the token's PIN"
cardctl so-unblock --reader "$SO" --so-key-file "$SOKEY" --pin-file "$SONEW" >/dev/null 2>"$W/err" ||
  pcsc_fail "so-unblock with the right key: $(cat "$W/err")"
pin_works "$SO" 'Tq8mw4zR' || pcsc_fail "yubico-piv-tool: the SO token's new PIN does not verify"

# --- a removed operator's card no longer opens the keystore --------------------------------------------------------
cardctl operator remove desk >/dev/null || pcsc_fail "operator remove"
rc=0
"${asdesk[@]}" list "${card_opts[@]}" >/dev/null 2>"$W/err" || rc=$?
[[ $rc != 0 ]] && grep -q "opens no keystore" "$W/err" || pcsc_fail "a removed operator's card opened the keystore: $(cat "$W/err")"

# --- the audit trail records each of them, and is intact -------------------------------------------------------------
cardctl audit verify --json | jq -e .ok >/dev/null || pcsc_fail "audit verify"
cardctl audit show --json >"$W/audit.json"
for want in "puc disclosed" "puc used" "puc rotated" "puc refused" "unblock in-person" "so-token issued" \
  "so-unblock ok" "so-unblock failed" "keystore opened" "operator removed" "policy applied"; do
  set -- $want
  [[ $(jq --arg a "$1" --arg o "$2" '[.entries[] | select(.action == $a and .outcome == $o)] | length' "$W/audit.json") -ge 1 ]] ||
    pcsc_fail "the audit trail has no '$want' entry"
done
echo "ok: helpdesk ways back through pcscd"
