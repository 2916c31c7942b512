#!/bin/bash
# ykman 4.0.9 (Debian 12, yubikey-manager) against the reference card through pcscd: piv info, access
# change-pin, keys generate and reset, each checked by its effect (with yubico-piv-tool, openssl and cardctl),
# not only by its exit code. ykman first selects the Yubico management application for the firmware version
# and the device info (docs/protocol.md#yubico-management-application), and blocks PIN and PUK with all-FF
# values before RESET (docs/protocol.md#verify).
set -euo pipefail
source "$HARNESS"
pcsc_require ykman yubico-piv-tool openssl jq
pcsc_one_card --serial 4711
DEFAULT_KEY=010203040506070801020304050607080102030405060708

yk() { ykman --reader "$R" "$@" 2>&1; }
ypt() { yubico-piv-tool -r "$R" "$@" 2>&1; }

# info: the management application's version and device info (serial, PIV the one application)
out=$(yk info) || pcsc_fail "info: $out"
pcsc_expect "Firmware version: 5\.4\.3" "$out"
pcsc_expect "Serial number: 4711" "$out"
pcsc_expect "PIV[[:space:]]+Enabled" "$out"
pcsc_expect "OATH[[:space:]]+Not available" "$out"

# piv info: the version from GET VERSION (the management application says the same), PIN tries, factory
# credentials, no objects
out=$(yk piv info) || pcsc_fail "piv info: $out"
pcsc_expect "PIV version: 5\.4\.3" "$out"
pcsc_expect "PIN tries remaining: 3/3" "$out"
pcsc_expect "Using default PIN" "$out"
pcsc_expect "Management key algorithm: TDES" "$out"
pcsc_expect "CHUID:[[:space:]]+No data available" "$out"

# a wrong PIN counts: info shows the tries left, yubico-piv-tool and cardctl agree
ypt -a verify-pin -P 000000 >/dev/null && pcsc_fail "a wrong PIN was accepted"
out=$(yk piv info)
pcsc_expect "PIN tries remaining: 2/3" "$out"
[[ $("$CARDCTL_BIN" status --reader "@$R" --json | jq -r '.pin.remaining') == 2 ]] || pcsc_fail "cardctl disagrees on PIN tries"

# access change-pin: a wrong current PIN is refused and counted; the right one changes it; yubico-piv-tool
# verifies the new PIN and no longer the old one
out=$(yk piv access change-pin -P 111111 -n 654321) && pcsc_fail "change-pin with a wrong PIN: $out"
pcsc_expect "1 (attempt|tries|try)" "$out"
out=$(yk piv access change-pin -P 123456 -n 654321) || pcsc_fail "change-pin: $out"
pcsc_expect "New PIN set" "$out"
ypt -a verify-pin -P 654321 | grep -q "Successfully verified PIN" || pcsc_fail "new PIN not accepted by yubico-piv-tool"
ypt -a verify-pin -P 123456 >/dev/null && pcsc_fail "the old PIN still verifies"
ypt -a verify-pin -P 654321 >/dev/null
out=$(yk piv info)
pcsc_expect "PIN tries remaining: 3/3" "$out"
grep -q "Using default PIN" <<<"$out" && pcsc_fail "info still reports the default PIN: $out"

# keys generate: RSA 2048 (the default) and ECCP256; the public keys are what openssl can read, and GET
# METADATA (through cardctl) shows keys in those slots
out=$(yk piv keys generate -m $DEFAULT_KEY -P 654321 9a "$W/9a.pem") || pcsc_fail "keys generate 9a: $out"
openssl pkey -pubin -in "$W/9a.pem" -noout -text | grep -q "Public-Key: (2048 bit)" || pcsc_fail "9a is not RSA-2048"
out=$(yk piv keys generate -m $DEFAULT_KEY -P 654321 -a ECCP256 9c "$W/9c.pem") || pcsc_fail "keys generate 9c: $out"
openssl pkey -pubin -in "$W/9c.pem" -noout -text | grep -q "NIST CURVE: P-256" || pcsc_fail "9c is not a P-256 key"
out=$(yk piv keys generate -m 0102030405060708010203040506070801020304050607AA 9d "$W/9d.pem") &&
  pcsc_fail "keys generate with a wrong management key: $out"
# the key in 9a signs, and the signature verifies with the public key ykman wrote
echo "signed through the reference card" >"$W/data"
ypt -a verify-pin -P 654321 --sign -s 9a -A RSA2048 -H SHA256 -i "$W/data" -o "$W/9a.sig" >/dev/null ||
  pcsc_fail "yubico-piv-tool could not sign with 9a"
openssl dgst -sha256 -verify "$W/9a.pem" -signature "$W/9a.sig" "$W/data" | grep -q "Verified OK" ||
  pcsc_fail "the signature from 9a does not verify with the key ykman generated"
json=$("$CARDCTL_BIN" status --reader "@$R" --json)
jq -e '.slots[] | select(.slot == "9c")' <<<"$json" >/dev/null || pcsc_fail "cardctl sees no key in 9c: $json"

# reset: ykman blocks PIN and PUK itself (all-FF values, counted as wrong) and resets; afterwards the factory
# PIN 123456 verifies, the keys are gone and the factory management key works again
out=$(yk piv reset -f) || pcsc_fail "reset: $out"
pcsc_expect "default PIN, PUK and Management Key" "$out"
ypt -a verify-pin -P 123456 | grep -q "Successfully verified PIN" || pcsc_fail "factory PIN not restored"
ypt -a verify-pin -P 654321 >/dev/null && pcsc_fail "the PIN from before the reset still verifies"
out=$(yk piv info)
pcsc_expect "PIN tries remaining: 2/3" "$out"  # the wrong PIN above
pcsc_expect "Using default PIN" "$out"
pcsc_expect "Using default Management key" "$out"
json=$("$CARDCTL_BIN" status --reader "@$R" --json)
[[ $(jq -r '.puk.remaining' <<<"$json") == 3 ]] || pcsc_fail "PUK not back to 3 tries: $json"
jq -e '[.slots[]? | select(.slot == "9a" or .slot == "9c")] | length == 0' <<<"$json" >/dev/null ||
  pcsc_fail "keys survived the reset: $json"
ypt --key=$DEFAULT_KEY -a set-chuid | grep -q "Successfully set new CHUID" || pcsc_fail "factory management key not restored"
echo "ykman interop: ok"
