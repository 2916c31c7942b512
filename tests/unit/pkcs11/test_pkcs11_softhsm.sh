#!/usr/bin/env bash
# A master key in a PKCS#11 token as other tools see it (src/store/pkcs11_token.hpp), on SoftHSM 2 with a private
# configuration and token directory (SOFTHSM2_CONF, never the system's token directory):
#  - a key that pkcs11_probe generated is listed by OpenSC's pkcs11-tool as "sensitive, always sensitive, never
#    extractable", and pkcs11-tool cannot read its value;
#  - the token's CMAC of a key imported with pkcs11_probe is the one `openssl mac` computes (SoftHSM's
#    CKM_AES_CMAC is real AES-CMAC);
#  - keys made by pkcs11-tool that are extractable, or not sensitive, are refused as master keys (policy);
#  - wrong PIN, missing object and a URI with pin-value give wrong_pin, not_found and usage.
# The PIN goes to pkcs11_probe in a file (CARDCTL_TEST_PIN_FILE), never as an argument; the test tools
# softhsm2-util and pkcs11-tool take it in argv. Exit 77 (skipped) when SoftHSM 2, pkcs11-tool or openssl is
# missing.
set -euo pipefail

module=/usr/lib/softhsm/libsofthsm2.so
skip() { echo "skipped: $*"; exit 77; }
[[ -f $module ]] || skip "SoftHSM 2 is not installed ($module; Debian package softhsm2)"
for tool in softhsm2-util pkcs11-tool openssl; do
  command -v "$tool" >/dev/null || skip "$tool is not installed"
done
probe=${PKCS11_PROBE:?PKCS11_PROBE: the pkcs11_probe binary}

fail() { echo "FAIL: $*" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/tokens"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' "$work/tokens" >"$work/softhsm2.conf"
export SOFTHSM2_CONF=$work/softhsm2.conf
label=cardctl-test
pin=$(openssl rand -hex 6)
so_pin=$(openssl rand -hex 6)
(umask 077 && printf '%s\n' "$pin" >"$work/pin")
export CARDCTL_TEST_PIN_FILE=$work/pin
softhsm2-util --init-token --free --label "$label" --pin "$pin" --so-pin "$so_pin" >/dev/null

tool() { pkcs11-tool --module "$module" --token-label "$label" --login --pin "$pin" "$@"; }
# The "Secret Key Object" block of pkcs11-tool --list-objects whose label is $1.
listing_of() {
  tool --list-objects --type secrkey 2>/dev/null |
    awk -v want="$1" '/^Secret Key Object/ { if (block != "" && found) print block; block = $0; found = 0; next }
                      { block = block "\n" $0 } $1 == "label:" && $2 == want { found = 1 }
                      END { if (found) print block }'
}
# Runs pkcs11_probe; its stdout, stderr and exit status in $out, $err, $rc.
run_probe() {
  rc=0
  out=$("$probe" "$module" "$@" 2>"$work/err") || rc=$?
  err=$(cat "$work/err")
}

# 1. A generated key: sensitive, never extractable, as pkcs11-tool sees it; its value cannot be read.
run_probe "pkcs11:token=$label;object=master-gen;id=%01" generate
[[ $rc == 0 ]] || fail "generate: $err"
listing=$(listing_of master-gen)
echo "$listing"
[[ -n $listing ]] || fail "pkcs11-tool does not list the generated key"
grep -q 'AES length 32' <<<"$listing" || fail "the generated key is not AES-256"
access=$(grep 'Access:' <<<"$listing")
for word in 'sensitive' 'always sensitive' 'never extractable'; do
  grep -q "$word" <<<"$access" || fail "the generated key is not '$word': $access"
done
grep -Eq '(^|[ ,])extractable' <<<"${access//never extractable/}" && fail "the generated key is extractable: $access"
grep -q 'VALUE:' <<<"$listing" && fail "pkcs11-tool printed the generated key's value"
# OpenSC lists no sign usage for secret keys; what it lists (encrypt, decrypt, wrap, ...) must be absent.
grep -Eq 'Usage:.*(encrypt|decrypt|wrap|derive)' <<<"$listing" && fail "the generated key has other uses than sign"
if tool --read-object --type secrkey --label master-gen >"$work/value" 2>/dev/null; then
  fail "pkcs11-tool read the generated key's value"
fi
run_probe "pkcs11:token=$label;object=master-gen" attributes
[[ $out == "sensitive=1 extractable=0 never_extractable=1 value_length=32" ]] || fail "attributes: $out $err"
run_probe "pkcs11:token=$label;object=master-gen" cmac 00
[[ $rc == 0 && $out =~ ^[0-9a-f]{32}$ ]] || fail "CMAC with the generated key: $out $err"

# 2. SoftHSM's CKM_AES_CMAC against OpenSSL's CMAC, with an imported key.
key=$(openssl rand -hex 32)
message=$(openssl rand -hex 40)
CARDCTL_TEST_KEY_HEX=$key run_probe "pkcs11:token=$label;object=master-imported" import
[[ $rc == 0 ]] || fail "import: $err"
run_probe "pkcs11:token=$label;object=master-imported" cmac "$message"
# shellcheck disable=SC2059  # the format is the message as \x escapes
expected=$(printf "$(sed 's/../\\x&/g' <<<"$message")" | openssl mac -cipher AES-256-CBC -macopt "hexkey:$key" CMAC |
  tr 'A-F' 'a-f')
[[ $out == "$expected" ]] || fail "the token's CMAC $out is not OpenSSL's $expected"
grep -q 'VALUE:' <<<"$(listing_of master-imported)" && fail "pkcs11-tool printed the imported key's value"

# 3. Keys that must not be master keys: extractable (though sensitive), or not sensitive.
tool --keygen --key-type AES:32 --label extractable --sensitive --extractable --usage-sign >/dev/null 2>&1
run_probe "pkcs11:token=$label;object=extractable" cmac 00
[[ $rc == 1 && $err == "error: policy: "*"is extractable"* ]] || fail "an extractable key was not refused: $out $err"
tool --keygen --key-type AES:32 --label readable --usage-sign >/dev/null 2>&1
run_probe "pkcs11:token=$label;object=readable" cmac 00
[[ $rc == 1 && $err == "error: policy: "*"not sensitive"* ]] || fail "a non-sensitive key was not refused: $out $err"

# 4. Wrong PIN, missing object, PIN in the URI.
printf '%s\n' "0$pin" >"$work/wrong-pin"
CARDCTL_TEST_PIN_FILE=$work/wrong-pin run_probe "pkcs11:token=$label;object=master-gen" cmac 00
[[ $rc == 1 && $err == "error: wrong_pin: "*CKR_PIN_INCORRECT* ]] || fail "wrong PIN: $err"
[[ $err != *"$pin"* ]] || fail "the PIN is in the message: $err"
run_probe "pkcs11:token=$label;object=no-such-key" cmac 00
[[ $rc == 1 && $err == "error: not_found: "* ]] || fail "missing object: $err"
run_probe "pkcs11:token=$label;object=master-gen;pin-value=$pin" cmac 00
[[ $rc == 1 && $err == "error: usage: "*"pin-value is refused"* && $err != *"$pin"* ]] || fail "pin-value: $err"

echo "pkcs11 softhsm tools: all checks passed"
