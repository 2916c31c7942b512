#!/bin/bash
# ATTEST (docs/protocol.md#attest) through pcscd with yubico-piv-tool 2.2.0 and ykman 4.0.9 (Debian 12): a key
# generated in 9A is attested by the card's attestation key; the certificate verifies against the F9
# certificate (object 5FFF01), carries the generated public key, the serial and the firmware version; an empty
# slot is refused.
set -euo pipefail
source "$HARNESS"
pcsc_require yubico-piv-tool ykman openssl
pcsc_one_card --serial 4711
DEFAULT_KEY=010203040506070801020304050607080102030405060708

ypt() { yubico-piv-tool -r "$R" "$@" 2>&1; }
# The DER of a public key, as hex, from a PEM public key or certificate.
pubkey_hex() { openssl pkey -pubin -outform DER | od -An -tx1 | tr -d ' \n'; }

# attest on an empty slot fails; nothing is written
out=$(ypt -a attest -s 9a -o "$W/empty.pem") && pcsc_fail "attest on an empty slot succeeded: $out"
[[ ! -s "$W/empty.pem" ]] || pcsc_fail "attest on an empty slot wrote a certificate"

# generate an ECCP256 key in 9a; attest it (no PIN, no management key); read the F9 certificate
out=$(ypt -k$DEFAULT_KEY -a generate -s 9a -A ECCP256 -o "$W/9a.pub") || pcsc_fail "generate: $out"
out=$(ypt -a attest -s 9a -o "$W/attest.pem") || pcsc_fail "attest 9a: $out"
grep -q "BEGIN CERTIFICATE" "$W/attest.pem" || pcsc_fail "attest wrote no PEM certificate: $(cat "$W/attest.pem")"
out=$(ypt -a read-certificate -s f9 -o "$W/f9.pem") || pcsc_fail "read-certificate f9: $out"
grep -q "BEGIN CERTIFICATE" "$W/f9.pem" || pcsc_fail "no F9 certificate: $(cat "$W/f9.pem")"
# the same certificate as a data object: 5FFF01 holds 70 <certificate> 71 00 FE 00
obj=$(ypt -a read-object --id 0x5fff01) || pcsc_fail "read-object 5fff01: $obj"
f9_hex=$(openssl x509 -in "$W/f9.pem" -outform DER | od -An -tx1 | tr -d ' \n')
[[ -n $f9_hex ]] || pcsc_fail "f9.pem is not a certificate openssl reads"
grep -qi "$f9_hex" <<<"$(tr -d ' \n' <<<"$obj")" || pcsc_fail "object 5FFF01 does not hold the F9 certificate: $obj"

# the attestation verifies against the F9 certificate, and only against it
out=$(openssl verify -partial_chain -CAfile "$W/f9.pem" "$W/attest.pem" 2>&1) || pcsc_fail "verify: $out"
pcsc_expect "attest.pem: OK" "$out"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=someone else" \
  -keyout "$W/other.key" -out "$W/other.pem" -days 1 2>/dev/null
out=$(openssl verify -partial_chain -CAfile "$W/other.pem" "$W/attest.pem" 2>&1) &&
  pcsc_fail "the attestation verifies against an unrelated CA: $out"

# its public key is the one generate printed
generated=$(pubkey_hex <"$W/9a.pub")
[[ -n $generated ]] || pcsc_fail "generate printed no public key openssl reads: $(cat "$W/9a.pub")"
[[ $(openssl x509 -in "$W/attest.pem" -noout -pubkey | pubkey_hex) == "$generated" ]] ||
  pcsc_fail "the attested public key is not the generated one"

# subject, issuer and Yubico's extensions: firmware 5.4.3, serial 4711 (INTEGER 02 02 12 67), PIN once and
# touch never (02 01), form factor 00
text=$(openssl x509 -in "$W/attest.pem" -noout -text -certopt ext_dump)
pcsc_expect "Subject: CN ?= ?YubiKey PIV Attestation 9a" "$text"
f9_subject=$(openssl x509 -in "$W/f9.pem" -noout -subject | sed 's/^subject=//')
pcsc_expect "Issuer: ${f9_subject# }" "$text"
ext_hex() {  # ext_hex OID: the hex bytes openssl dumps under the extension
  awk -v oid="$1:" '$1 == oid { on = 1; next } on && /^ +[0-9a-f][0-9a-f][0-9a-f][0-9a-f] - / { sub(/^ +[0-9a-f][0-9a-f][0-9a-f][0-9a-f] - /, ""); sub(/   .*$/, ""); print; next } on { exit }' <<<"$text" |
    tr -d ' \n-'
}
[[ $(ext_hex 1.3.6.1.4.1.41482.3.3) == 050403 ]] || pcsc_fail "firmware extension: $(ext_hex 1.3.6.1.4.1.41482.3.3)"$'\n'"$text"
[[ $(ext_hex 1.3.6.1.4.1.41482.3.7) == 02021267 ]] || pcsc_fail "serial extension: $(ext_hex 1.3.6.1.4.1.41482.3.7)"
[[ $(ext_hex 1.3.6.1.4.1.41482.3.8) == 0201 ]] || pcsc_fail "policy extension: $(ext_hex 1.3.6.1.4.1.41482.3.8)"
[[ $(ext_hex 1.3.6.1.4.1.41482.3.9) == 00 ]] || pcsc_fail "form factor extension: $(ext_hex 1.3.6.1.4.1.41482.3.9)"

# ykman: piv keys attest writes the same kind of certificate, for the same key, under the same F9 certificate
out=$(ykman --reader "$R" piv keys attest 9a - 2>"$W/ykman.err") || pcsc_fail "ykman attest: $(cat "$W/ykman.err")"
printf '%s\n' "$out" >"$W/ykman.pem"
out=$(openssl verify -partial_chain -CAfile "$W/f9.pem" "$W/ykman.pem" 2>&1) || pcsc_fail "verify (ykman): $out"
[[ $(openssl x509 -in "$W/ykman.pem" -noout -pubkey | pubkey_hex) == "$generated" ]] ||
  pcsc_fail "ykman's attestation is not for the generated key"
out=$(ykman --reader "$R" piv keys attest 9c - 2>&1) && pcsc_fail "ykman attested an empty slot: $out"
pcsc_expect "Attestation failed" "$out"
echo "attest interop: ok"
