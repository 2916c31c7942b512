#!/bin/bash
# yubico-piv-tool 2.2.0 (Debian 12) against the reference card through pcscd: every action the foundation
# issue names, each checked by its effect, not only by its exit code.
set -euo pipefail
source "$HARNESS"
pcsc_require yubico-piv-tool openssl jq
pcsc_one_card --serial 4711
DEFAULT_KEY=010203040506070801020304050607080102030405060708
NEW_KEY=1122334455667788112233445566778811223344556677AA

ypt() { yubico-piv-tool -r "$R" "$@" 2>&1; }

# status: version, serial, PIN tries, no objects yet
out=$(ypt -a status)
pcsc_expect "Version:[[:space:]]+5\.4\.3" "$out"
pcsc_expect "Serial Number:[[:space:]]+4711" "$out"
pcsc_expect "PIN tries left:[[:space:]]+3" "$out"
pcsc_expect "CHUID:[[:space:]]+No data available" "$out"

# cardctl status agrees with yubico-piv-tool on the same card
json=$("$CARDCTL_BIN" status --reader "@$R" --json)
[[ $(jq -r '.serial' <<<"$json") == 4711 ]] || pcsc_fail "cardctl serial: $json"
[[ $(jq -r '.pin.remaining' <<<"$json") == 3 ]] || pcsc_fail "cardctl PIN retries: $json"
[[ $(jq -r '.management_key.algorithm' <<<"$json") == tdes ]] || pcsc_fail "cardctl algorithm: $json"
[[ $(jq -r '.management_key.default' <<<"$json") == true ]] || pcsc_fail "cardctl default key: $json"

# verify-pin (right and wrong) and the retry counter
out=$(ypt -a verify-pin -P 123456)
pcsc_expect "Successfully verified PIN" "$out"
out=$(ypt -a verify-pin -P 000000) && pcsc_fail "a wrong PIN was accepted"
pcsc_expect "2 tries left" "$out"
out=$(ypt -a status)
pcsc_expect "PIN tries left:[[:space:]]+2" "$out"
[[ $("$CARDCTL_BIN" status --reader "@$R" --json | jq -r '.pin.remaining') == 2 ]] || pcsc_fail "cardctl disagrees on PIN tries"

# change-pin, change-puk: the new values work, the old ones do not
out=$(ypt -a change-pin -P 123456 -N 654321)
pcsc_expect "Successfully changed the pin code" "$out"
ypt -a verify-pin -P 654321 | grep -q "Successfully verified PIN" || pcsc_fail "new PIN not accepted"
out=$(ypt -a change-puk -P 12345678 -N 87654321)
pcsc_expect "Successfully changed the puk code" "$out"

# block the PIN, then unblock-pin with the new PUK
for _ in 1 2 3; do ypt -a verify-pin -P 000000 >/dev/null || true; done
out=$(ypt -a verify-pin -P 654321) && pcsc_fail "a blocked PIN verified"
pcsc_expect "blocked" "$out"
[[ $("$CARDCTL_BIN" status --reader "@$R" --json | jq -r '.pin.remaining') == 0 ]] || pcsc_fail "cardctl: PIN not blocked"
out=$(ypt -a unblock-pin -P 12345678 -N 111111) && pcsc_fail "the old PUK unblocked the PIN"
out=$(ypt -a unblock-pin -P 87654321 -N 111111)
pcsc_expect "Successfully unblocked the pin code" "$out"
ypt -a verify-pin -P 111111 | grep -q "Successfully verified PIN" || pcsc_fail "PIN after unblock not accepted"

# set-mgm-key (TDES): the old key stops working, the new one works
out=$(ypt --key=$DEFAULT_KEY -a set-mgm-key -n $NEW_KEY)
pcsc_expect "Successfully set new management key" "$out"
out=$(ypt --key=$DEFAULT_KEY -a set-chuid) && pcsc_fail "the old management key still authenticates"
[[ $("$CARDCTL_BIN" status --reader "@$R" --json | jq -r '.management_key.default') == false ]] ||
  pcsc_fail "cardctl still reports the factory admin key"

# pin-retries: needs 9B and PIN; resets PIN and PUK to the factory values with the new counts
out=$(ypt --key=$NEW_KEY -a verify-pin -P 111111 -a pin-retries --pin-retries 5 --puk-retries 4)
pcsc_expect "Successfully changed pin retries to 5 and puk retries to 4" "$out"
out=$(ypt -a status)
pcsc_expect "PIN tries left:[[:space:]]+5" "$out"
json=$("$CARDCTL_BIN" status --reader "@$R" --json)
[[ $(jq -r '.pin.remaining' <<<"$json") == 5 && $(jq -r '.puk.remaining' <<<"$json") == 4 ]] ||
  pcsc_fail "cardctl retries after pin-retries: $json"

# generate ECCP256 in 9a and RSA2048 in 9c, import certificates made by openssl for those keys
ypt --key=$NEW_KEY -a generate -s 9a -A ECCP256 -o "$W/9a.pub" >/dev/null
ypt --key=$NEW_KEY -a generate -s 9c -A RSA2048 -o "$W/9c.pub" >/dev/null
openssl pkey -pubin -in "$W/9a.pub" -noout -text | grep -q "NIST CURVE: P-256" || pcsc_fail "9a is not a P-256 key"
openssl pkey -pubin -in "$W/9c.pub" -noout -text | grep -q "Public-Key: (2048 bit)" || pcsc_fail "9c is not RSA-2048"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$W/ca.key" -out "$W/ca.pem" \
  -subj "/CN=cardctl test CA" -days 2 2>/dev/null
for slot in 9a 9c; do
  openssl req -new -key "$W/ca.key" -subj "/CN=holder $slot" -out "$W/$slot.csr" 2>/dev/null
  openssl x509 -req -in "$W/$slot.csr" -CA "$W/ca.pem" -CAkey "$W/ca.key" -CAcreateserial -days 2 \
    -force_pubkey "$W/$slot.pub" -out "$W/$slot.pem" 2>/dev/null
  out=$(ypt --key=$NEW_KEY -a import-certificate -s $slot -i "$W/$slot.pem")
  pcsc_expect "Successfully imported a new certificate" "$out"
done
out=$(ypt -a status)
pcsc_expect "Slot 9a:" "$out"
pcsc_expect "Subject DN:[[:space:]]+CN ?= ?holder 9a" "$out"
pcsc_expect "Slot 9c:" "$out"
ypt -a read-certificate -s 9a >"$W/9a.back.pem"
cmp <(openssl x509 -in "$W/9a.pem" -outform DER) <(openssl x509 -in "$W/9a.back.pem" -outform DER) ||
  pcsc_fail "certificate read back differs"
json=$("$CARDCTL_BIN" status --reader "@$R" --json)
jq -e '.slots[] | select(.slot == "9a" and .certificate != null)' <<<"$json" >/dev/null || pcsc_fail "cardctl: no 9a cert: $json"

# signatures through the card verify with openssl (EC and RSA)
echo "signed through the reference card" >"$W/data"
ypt -a verify-pin -P 123456 --sign -s 9a -A ECCP256 -H SHA256 -i "$W/data" -o "$W/9a.sig" >/dev/null
openssl dgst -sha256 -verify "$W/9a.pub" -signature "$W/9a.sig" "$W/data" | grep -q "Verified OK" ||
  pcsc_fail "ECDSA signature from 9a does not verify"
ypt -a verify-pin -P 123456 --sign -s 9c -A RSA2048 -H SHA256 -i "$W/data" -o "$W/9c.sig" >/dev/null
openssl dgst -sha256 -verify "$W/9c.pub" -signature "$W/9c.sig" "$W/data" | grep -q "Verified OK" ||
  pcsc_fail "RSA signature from 9c does not verify"

# set-chuid, set-ccc, read-object: the objects are there and read back
out=$(ypt --key=$NEW_KEY -a set-chuid -a set-ccc)
pcsc_expect "Successfully set new CHUID" "$out"
pcsc_expect "Successfully set new CCC" "$out"
out=$(ypt -a status)
pcsc_expect "CHUID:[[:space:]]+3019d4e739da739ced39ce739d836858210842108421c84210c3eb34" "$out"
pcsc_expect "CCC:[[:space:]]+f015a000000116ff02" "$out"
chuid=$(ypt -a read-object --id 0x5fc102 | tr -d ' \n')
[[ $chuid == 3019d4e739da739ced39ce739d836858210842108421c84210c3eb3410* ]] || pcsc_fail "read-object CHUID: $chuid"

# reset: refused while PIN and PUK work; accepted once both are blocked; factory state afterwards
out=$(ypt -a reset) && pcsc_fail "reset accepted with PIN and PUK unblocked"
for _ in 1 2 3 4 5; do ypt -a verify-pin -P 000000 >/dev/null || true; done
for _ in 1 2 3 4; do ypt -a unblock-pin -P 00000000 -N 000000 >/dev/null || true; done
out=$(ypt -a reset)
pcsc_expect "Successfully reset the application" "$out"
out=$(ypt -a status)
pcsc_expect "PIN tries left:[[:space:]]+3" "$out"
pcsc_expect "CHUID:[[:space:]]+No data available" "$out"
ypt --key=$DEFAULT_KEY -a set-chuid | grep -q "Successfully set new CHUID" || pcsc_fail "factory admin key not restored"
echo "yubico-piv-tool interop: ok"
