#!/bin/bash
# OpenSC 0.23 (Debian 12) against the reference card through pcscd: recognition as a PIV card, the PKCS#15
# view, the PKCS#11 token, and a login + signature whose result verifies with openssl.
set -euo pipefail
source "$HARNESS"
pcsc_require opensc-tool pkcs15-tool pkcs11-tool yubico-piv-tool openssl
W="$PCSC_DIR/work"
mkdir -p "$W"
MODULE=/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so
[[ -f $MODULE ]] || MODULE=$(dpkg -L opensc-pkcs11 | grep '/opensc-pkcs11.so$' | head -n 1)

"$CARDSIM_BIN" create "$PCSC_DIR/card.card" --serial 8123
pcsc_start 1 "$PCSC_DIR/card.card"
R="${PCSC_READERS[0]}"

# Set the card up with a P-256 key in 9a and a certificate for it (yubico-piv-tool, factory admin key).
yubico-piv-tool -r "$R" -a generate -s 9a -A ECCP256 -o "$W/9a.pub" >/dev/null 2>&1
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$W/ca.key" -out "$W/ca.pem" \
  -subj "/CN=cardctl test CA" -days 2 2>/dev/null
openssl req -new -key "$W/ca.key" -subj "/CN=Alice Holder" -out "$W/9a.csr" 2>/dev/null
openssl x509 -req -in "$W/9a.csr" -CA "$W/ca.pem" -CAkey "$W/ca.key" -CAcreateserial -days 2 \
  -force_pubkey "$W/9a.pub" -out "$W/9a.pem" 2>/dev/null
yubico-piv-tool -r "$R" -a import-certificate -s 9a -i "$W/9a.pem" >/dev/null 2>&1
yubico-piv-tool -r "$R" -a set-chuid >/dev/null 2>&1

# opensc-tool recognises a PIV card
out=$(opensc-tool --reader "$R" --name 2>&1)
pcsc_expect "Personal Identity Verification Card" "$out"

# pkcs15-tool -D shows the PIN, the key and the certificate of 9a
out=$(pkcs15-tool --reader "$R" -D 2>&1)
pcsc_expect "PIN \[PIN\]" "$out"
pcsc_expect "PIN \[PIV PUK\]" "$out"
pcsc_expect "Serial number  : [0-9a-f]{32}" "$out"
pcsc_expect "Private EC Key \[PIV AUTH key\]" "$out"
pcsc_expect "X\.509 Certificate \[Certificate for PIV Authentication\]" "$out"

# pkcs11-tool -L and -O: the token and its certificate and public key, without login
out=$(pkcs11-tool --module "$MODULE" -L 2>&1)
pcsc_expect "token label[[:space:]]+: Alice Holder" "$out"
out=$(pkcs11-tool --module "$MODULE" --slot-description "$R" -O 2>&1)
pcsc_expect "Certificate Object; type = X\.509 cert" "$out"
pcsc_expect "label:[[:space:]]+Certificate for PIV Authentication" "$out"
pcsc_expect "Public Key Object; EC" "$out"

# login and sign with the 9a key; the signature verifies with openssl over the same data
echo "signed through OpenSC's PKCS#11 module" >"$W/data"
pkcs11-tool --module "$MODULE" --slot-description "$R" --login --pin 123456 --sign --id 01 -m ECDSA-SHA256 \
  --signature-format openssl -i "$W/data" -o "$W/data.sig" >/dev/null 2>&1 || pcsc_fail "pkcs11-tool --sign failed"
openssl dgst -sha256 -verify "$W/9a.pub" -signature "$W/data.sig" "$W/data" | grep -q "Verified OK" ||
  pcsc_fail "the PKCS#11 signature does not verify"

# a wrong PIN through PKCS#11 spends a try, as cardctl sees it
pkcs11-tool --module "$MODULE" --slot-description "$R" --login --pin 000000 -O >/dev/null 2>&1 &&
  pcsc_fail "PKCS#11 login with a wrong PIN succeeded"
[[ $("$CARDCTL_BIN" status --reader "@$R" --json | jq -r '.pin.remaining') == 2 ]] || pcsc_fail "PIN counter not 2"
echo "OpenSC interop: ok"
