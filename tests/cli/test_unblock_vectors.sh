#!/usr/bin/env bash
# Every admin-key vector of tests/vectors/admin-key.toml: on a site with the vector's master key and key version,
# respond prints exactly the listed response and check.
. "$(dirname "$0")/lib.sh"
. "$CARDCTL_SOURCE/tests/cli/offline_unblock_setup.sh"

VECTORS=$CARDCTL_SOURCE/tests/vectors/admin-key.toml
sed 's/^allow_unknown_cards = false/allow_unknown_cards = true/' "$POLICY" >"$T_ROOT/open-policy.toml"
n=$(grep -c '^\[\[case\]\]' "$VECTORS")
for ((k = 1; k <= n; k++)); do
  field() { awk -v k="$k" -v f="$1" '/^\[\[case\]\]/ { c++ } c == k && $1 == f { sub(/^[^=]*= */, ""); gsub(/"/, ""); print; exit }' "$VECTORS"; }
  master=$(secret_file "master$k" "$(field master_key)")
  home=$T_ROOT/vector-site-$k
  CARDCTL_INVENTORY=$(new_inventory "vectors$k") CARDCTL_HOME=$home "$CARDCTL" init --policy "$T_ROOT/open-policy.toml" --scrypt-n 1024 \
    --import-master "$master" --key-version "$(field key_version)" >/dev/null
  CARDCTL_HOME=$home run "$CARDCTL" respond --card "$(field card_id)" --algorithm "$(field algorithm)" \
    --key-version "$(field key_version)" --challenge "$(field challenge) $(field challenge_check)" --json
  assert_exit 0
  assert_json '.response' "$(field response)"
  assert_json '.check' "$(field response_check)"
done

finish
