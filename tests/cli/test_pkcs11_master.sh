#!/usr/bin/env bash
# Master keys in a PKCS#11 token (docs/architecture.md#master-keys-in-a-pkcs11-token), on SoftHSM 2 with a private
# configuration and token directory under $T_ROOT (never the system's tokens):
#  - init --master-key URI --import-master FILE puts each public vector's master key in the token, and respond gives
#    exactly the vector's response and check (tests/vectors/admin-key.toml, as test_unblock_vectors.sh does with a
#    keystore file);
#  - init --master-key URI generates version 1 in the token: pkcs11-tool sees it sensitive and never extractable;
#    init --rotate makes version 2 in the same token; cards issued under either version unblock offline;
#  - a command that derives no key never asks for the token PIN; a wrong token PIN fails clearly with no response;
#    the token PIN never appears in --verbose output.
# Exit 77 (skipped) when SoftHSM 2 or pkcs11-tool is missing. The test tools softhsm2-util and pkcs11-tool take the
# PIN in argv; cardctl never does.
UNBLOCK_SKIP_INIT=1   # this scenario runs init itself
. "$(dirname "$0")/lib.sh"

MODULE=/usr/lib/softhsm/libsofthsm2.so
if [[ ! -f $MODULE ]] || ! command -v softhsm2-util >/dev/null || ! command -v pkcs11-tool >/dev/null; then
  echo "skipped: SoftHSM 2 ($MODULE, softhsm2-util) or pkcs11-tool (OpenSC) is not installed"
  exit 77
fi
unset CARDCTL_TOKEN_PIN CARDCTL_PKCS11_MODULE

mkdir -p "$T_ROOT/tokens"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' "$T_ROOT/tokens" >"$T_ROOT/softhsm2.conf"
export SOFTHSM2_CONF=$T_ROOT/softhsm2.conf
LABEL=cardctl-cli-test
TOKEN_PIN=$(openssl rand -hex 6)
softhsm2-util --init-token --free --label "$LABEL" --pin "$TOKEN_PIN" --so-pin "$(openssl rand -hex 6)" >/dev/null ||
  { echo "softhsm2-util could not make the test token" >&2; exit 1; }
TOKEN_PIN_FILE=$(secret_file token-pin "$TOKEN_PIN")
tool() { pkcs11-tool --module "$MODULE" --token-label "$LABEL" --login --pin "$TOKEN_PIN" "$@"; }
# The "Secret Key Object" block of pkcs11-tool --list-objects whose label is $1.
listing_of() {
  tool --list-objects --type secrkey 2>/dev/null |
    awk -v want="$1" '/^Secret Key Object/ { if (block != "" && found) print block; block = $0; found = 0; next }
                      { block = block "\n" $0 } $1 == "label:" && $2 == want { found = 1 }
                      END { if (found) print block }'
}

. "$CARDCTL_SOURCE/tests/cli/offline_unblock_setup.sh"

# 1. The public vectors, each master key imported into the token.
VECTORS=$CARDCTL_SOURCE/tests/vectors/admin-key.toml
sed 's/^allow_unknown_cards = false/allow_unknown_cards = true/' "$POLICY" >"$T_ROOT/open-policy.toml"
n=$(grep -c '^\[\[case\]\]' "$VECTORS")
for ((k = 1; k <= n; k++)); do
  field() { awk -v k="$k" -v f="$1" '/^\[\[case\]\]/ { c++ } c == k && $1 == f { sub(/^[^=]*= */, ""); gsub(/"/, ""); print; exit }' "$VECTORS"; }
  master=$(secret_file "master$k" "$(field master_key)")
  home=$T_ROOT/vector-site-$k
  CARDCTL_HOME=$home run "$CARDCTL" init --policy "$T_ROOT/open-policy.toml" --scrypt-n 1024 \
    --master-key "pkcs11:token=$LABEL;object=vector-$k" --pkcs11-module "$MODULE" --token-pin-file "$TOKEN_PIN_FILE" \
    --import-master "$master" --key-version "$(field key_version)" --json
  assert_exit 0
  assert_json '[.action, .key_version] | map(tostring) | join(" ")' "created $(field key_version)"
  grep -Fq "$MODULE" "$home/site.toml"
  _check $? "site.toml of vector $k does not name the module"
  CARDCTL_HOME=$home run "$CARDCTL" respond --card "$(field card_id)" --algorithm "$(field algorithm)" \
    --key-version "$(field key_version)" --challenge "$(field challenge) $(field challenge_check)" \
    --token-pin-file "$TOKEN_PIN_FILE" --json
  assert_exit 0
  assert_json '.response' "$(field response)"
  assert_json '.check' "$(field response_check)"
done
[[ -n $(listing_of vector-1) ]]
_check $? "pkcs11-tool does not list the imported master key vector-1"

# 2. A generated master key, then a rotation in the same token.
export CARDCTL_PKCS11_MODULE=$MODULE
run "${INIT[@]}" --master-key "pkcs11:token=$LABEL;object=site-master-v1" --token-pin-file "$TOKEN_PIN_FILE" --json
assert_exit 0
assert_json '[.action, .key_version] | map(tostring) | join(" ")' "created 1"
unset CARDCTL_PKCS11_MODULE   # from here on the module comes from site.toml
listing=$(listing_of site-master-v1)
[[ -n $listing ]]
_check $? "pkcs11-tool does not list the generated master key"
access=$(grep 'Access:' <<<"$listing")
for word in 'sensitive' 'always sensitive' 'never extractable'; do
  grep -q "$word" <<<"$access"
  _check $? "the generated master key is not '$word': $access"
done
! grep -Eq '(^|[ ,])extractable' <<<"${access//never extractable/}"
_check $? "the generated master key is extractable: $access"
! tool --read-object --type secrkey --label site-master-v1 >"$T_ROOT/value" 2>/dev/null
_check $? "pkcs11-tool read the generated master key's value"

# A command that derives no key opens no token and asks for no PIN.
run "$CARDCTL" list --no-prompt --json
assert_exit 0

export CARDCTL_TOKEN_PIN=$TOKEN_PIN
older=$(new_card older.sim --serial 30001)
issue "$older" staff holder-older
assert_json '.key_version' 1

run "$CARDCTL" init --rotate --json
assert_exit 0
assert_json '[.action, .key_version] | map(tostring) | join(" ")' "rotated 2"
[[ -n $(listing_of cardctl-master-v2) ]]
_check $? "init --rotate made no key cardctl-master-v2 in the token"
run "$CARDCTL" init --rotate
assert_exit 0
assert_stdout_contains "Master key in token"
assert_stdout_contains "object=cardctl-master-v3"

card=$(new_card rotated.sim --serial 30005)
issue "$card" staff holder-rotated
assert_json '.key_version' 3
for id_card in "30005:$card" "30001:$older"; do
  id=${id_card%%:*} c=${id_card#*:}
  block_pin "$c"
  run "$CARDCTL" challenge --reader "sim:$c" --detach --json
  challenge=$(code_of "$OUT")
  run "$CARDCTL" respond --card "$id" --challenge "$challenge" --answers-file "$ANSWERS" --json
  assert_exit 0
  run "$CARDCTL" unblock --reader "sim:$c" --response "$(code_of "$OUT")" --pin-file "$PIN"
  assert_exit 0
  [[ $(pin_left "$c") == 3 ]]
  _check $? "card $id: the PIN tries are not reset after the unblock"
done

# 3. A wrong token PIN: a clear error, no response.
block_pin "$card"
run "$CARDCTL" challenge --reader "sim:$card" --detach --json
challenge=$(code_of "$OUT")
CARDCTL_TOKEN_PIN=wrong-$TOKEN_PIN run "$CARDCTL" respond --card 30005 --challenge "$challenge" --answers-file "$ANSWERS"
[[ $RC != 0 ]]
_check $? "respond with a wrong token PIN succeeded"
assert_error_with_hint
assert_stderr_contains "CKR_PIN_INCORRECT"
assert_stderr_not_contains "$TOKEN_PIN"
assert_stdout_not_contains "Response"

# 4. The token PIN from its file never shows in --verbose output; the source does.
unset CARDCTL_TOKEN_PIN
run "$CARDCTL" respond --card 30005 --challenge "$challenge" --answers-file "$ANSWERS" --token-pin-file "$TOKEN_PIN_FILE" --verbose --json
assert_exit 0
assert_stderr_contains "token PIN"
assert_stderr_not_contains "$TOKEN_PIN"
assert_stdout_not_contains "$TOKEN_PIN"
run "$CARDCTL" unblock --reader "sim:$card" --response "$(code_of "$OUT")" --pin-file "$PIN"
assert_exit 0

# A URI with the PIN in it is refused before anything is made, and does not repeat it.
run "$CARDCTL" init --policy "$POLICY" --scrypt-n 1024 --home "$T_ROOT/refused" --pkcs11-module "$MODULE" \
  --master-key "pkcs11:token=$LABEL;object=x;pin-value=$TOKEN_PIN"
assert_exit 2
assert_error_with_hint
assert_stderr_not_contains "$TOKEN_PIN"
[[ ! -e $T_ROOT/refused ]]
_check $? "a refused init left $T_ROOT/refused"

finish
