#!/usr/bin/env bash
# cardctl policy apply through the real cardctl on an installation with one card: a policy with a lint error, one
# that removes the template a card uses and one that changes its admin key are refused with the installed file
# unchanged byte for byte; --dry-run shows the diff and changes nothing; without --yes and without a terminal it
# is refused; --yes installs it (mode 0600), audits it with both hashes, and later commands see the new rules.
. "$(dirname "$0")/lib.sh"

export CARDCTL_HOME=$T_ROOT/site CARDCTL_PASSPHRASE="test passphrase 1" CARDCTL_OPERATOR=admin-1
POLICY=$CARDCTL_SOURCE/examples/policy.toml   # "staff": AES-192; "yubikey": TDES, no key slots
INSTALLED=$CARDCTL_HOME/policy.toml
NEW=$T_ROOT/policies
mkdir -p "$NEW"

# assert_installed_is FILE: the installed policy is FILE, byte for byte.
assert_installed_is() {
  cmp -s "$1" "$INSTALLED"
  _check $? "the installed policy is not $1"
}
# policy_entries: how many 'policy' entries the audit trail has.
policy_entries() {
  "$CARDCTL" audit show --action policy --json | jq '.entries | length'
}

run "$CARDCTL" init --policy "$POLICY" --scrypt-n 1024
assert_exit 0
run "$CARDCTL" operator add admin-2 --role system_owner   # a second system owner applies a policy below
assert_exit 0
cp "$INSTALLED" "$T_ROOT/installed.orig"
assert_installed_is "$POLICY"

# One card with the yubikey template (it generates no keys, so no CA is needed).
CARD=$(new_card 52001.sim --serial 52001)
run_with_stdin $'Elm Primary\nOak Road\nSmith' "$CARDCTL" issue --reader "sim:$CARD" --template yubikey \
  --holder alice --name 'Alice Example' --answer first-school --answer first-street --answer favourite-teacher --json
assert_exit 0
assert_json '.card_id' 52001
snapshot "$CARDCTL_HOME"

# --- a lint error: refused with file and line, nothing changed ---------------------------------------------------
sed 's/^min_length = 6 .*/min_length = 3/' "$POLICY" >"$NEW/bad.toml"
line=$(grep -n '^min_length = 3$' "$NEW/bad.toml" | cut -d: -f1)
[[ -n $line ]]
_check $? "the test policy bad.toml was not made"
run "$CARDCTL" policy apply "$NEW/bad.toml" --yes
assert_exit 6
assert_stdout_empty
assert_stderr_contains "$NEW/bad.toml:$line: templates.staff.pin.min_length: must be between 6 and 8, got 3"
assert_stderr_matches '^cardctl: error: .*bad.toml has 1 problem; the installed policy was not changed$'
assert_stderr_matches '^cardctl: hint: .*cardctl policy check'
assert_installed_is "$T_ROOT/installed.orig"
# the same with --dry-run
run "$CARDCTL" policy apply "$NEW/bad.toml" --dry-run
assert_exit 6
assert_stderr_contains "bad.toml:$line:"

# --- a fixed key the keystore does not have ----------------------------------------------------------------------
{
  cat "$POLICY"
  printf '\n[templates.migrated]\nadmin_key = { algorithm = "tdes", diversify = false, fixed = "old-cms" }\n'
  printf 'offline_unblock = { allowed = false, admin_pin_reset = false }\n'
} >"$NEW/nokey.toml"
run "$CARDCTL" policy check "$NEW/nokey.toml"
assert_exit 0
run "$CARDCTL" policy apply "$NEW/nokey.toml" --yes
assert_exit 6
assert_stderr_matches "nokey.toml:[0-9]+: templates.migrated.admin_key.fixed: no fixed admin key 'old-cms' in the keystore"
assert_error_with_hint
assert_installed_is "$T_ROOT/installed.orig"

# --- the yubikey template removed while card 52001 uses it: refused ----------------------------------------------
awk '/^\[templates.yubikey\]/ { skip = 1 } skip && /^offline_unblock/ { skip = 0; next } !skip' "$POLICY" >"$NEW/no-yubikey.toml"
run "$CARDCTL" policy check "$NEW/no-yubikey.toml"
assert_exit 0
run "$CARDCTL" policy apply "$NEW/no-yubikey.toml" --yes
assert_exit 6
assert_error_with_hint
assert_stderr_contains "policy not applied, it would orphan cards: template 'yubikey' is used by 1 card in the inventory but is not in $NEW/no-yubikey.toml"
assert_stderr_contains "cardctl list --template yubikey"
assert_installed_is "$T_ROOT/installed.orig"
run "$CARDCTL" policy apply "$NEW/no-yubikey.toml" --dry-run --json
assert_exit 6
assert_stdout_empty

# --- its admin_key algorithm changed: refused --------------------------------------------------------------------
sed 's/^admin_key = { algorithm = "tdes", diversify = true }/admin_key = { algorithm = "aes128", diversify = true }/' \
  "$POLICY" >"$NEW/yubikey-aes.toml"
! cmp -s "$POLICY" "$NEW/yubikey-aes.toml"
_check $? "the test policy yubikey-aes.toml was not made"
run "$CARDCTL" policy apply "$NEW/yubikey-aes.toml" --yes
assert_exit 6
assert_error_with_hint
assert_stderr_contains "template 'yubikey' is used by 1 card in the inventory"
assert_stderr_contains 'changes its admin_key.algorithm from "tdes" to "aes128"'
assert_installed_is "$T_ROOT/installed.orig"
# and diversify turned off
sed 's/^admin_key = { algorithm = "tdes", diversify = true }/admin_key = { algorithm = "tdes", diversify = false, fixed = "x" }/' \
  "$POLICY" >"$NEW/yubikey-fixed.toml"
run "$CARDCTL" policy apply "$NEW/yubikey-fixed.toml" --yes
assert_exit 6
assert_stderr_contains "no fixed admin key 'x' in the keystore"
assert_installed_is "$T_ROOT/installed.orig"

assert_no_new_files "$CARDCTL_HOME"
run "$CARDCTL" audit show --action policy --json
assert_json '.entries | length' 0

# --- a valid change: 5 unblocks per period, a new template -------------------------------------------------------
{
  sed 's/^unblocks_per_period = 3 /unblocks_per_period = 5 /' "$POLICY"
  printf '\n# Shared kiosk cards: no key slots, PUK unblock only.\n[templates.kiosk]\n'
  printf 'admin_key = { algorithm = "aes256", diversify = true }\n'
  printf 'offline_unblock = { allowed = false, admin_pin_reset = false }\n'
} >"$NEW/next.toml"
run "$CARDCTL" policy check "$NEW/next.toml"
assert_exit 0

run "$CARDCTL" policy apply "$NEW/next.toml" --dry-run
assert_exit 0
assert_stdout_contains "--- $INSTALLED (installed)"
assert_stdout_contains "+++ $NEW/next.toml"
assert_stdout_matches '^@@ -[0-9]+,[0-9]+ \+[0-9]+,[0-9]+ @@$'
assert_stdout_matches '^-unblocks_per_period = 3 '
assert_stdout_matches '^\+unblocks_per_period = 5 '
assert_stdout_matches '^\+\[templates.kiosk\]$'
assert_stdout_matches '^Templates added: +kiosk$'
assert_stdout_matches '^Templates removed: +none$'
assert_stdout_matches '^Templates changed: +none$'
assert_stdout_matches '^Helpdesk rules: +changed$'
assert_stdout_not_contains "Applied"
assert_stderr_contains "dry run: nothing was changed"
assert_installed_is "$T_ROOT/installed.orig"

run "$CARDCTL" policy apply "$NEW/next.toml" --dry-run --json
assert_exit 0
assert_json '.ok' true
assert_json '.applied' false
assert_json '.changes.templates_added' '["kiosk"]'
assert_json '.changes.templates_removed' '[]'
assert_json '.changes.templates_changed' '[]'
assert_json '.changes.helpdesk_changed' true
assert_json '.diff | contains("+unblocks_per_period = 5")' true
assert_json '.diff | contains("-unblocks_per_period = 3")' true
assert_json '.old_sha256' "$(sha256sum "$T_ROOT/installed.orig" | cut -d' ' -f1)"
assert_json '.new_sha256' "$(sha256sum "$NEW/next.toml" | cut -d' ' -f1)"
assert_installed_is "$T_ROOT/installed.orig"

# The kiosk template does not exist yet.
FRESH=$(new_card 52002.sim --serial 52002)
run "$CARDCTL" issue --reader "sim:$FRESH" --template kiosk --holder bob --dry-run
assert_exit 6
assert_stderr_contains "no card template 'kiosk'"

# --- without --yes and without a terminal: refused ---------------------------------------------------------------
run "$CARDCTL" policy apply "$NEW/next.toml"
assert_exit 2
assert_error_with_hint
assert_stderr_contains "needs a confirmation"
assert_stderr_contains "--yes"
run_with_stdin "y" "$CARDCTL" policy apply "$NEW/next.toml"   # a "y" on a pipe is not a confirmation
assert_exit 2
assert_installed_is "$T_ROOT/installed.orig"
assert_no_new_files "$CARDCTL_HOME"
[[ $(policy_entries) == 0 ]]
_check $? "a refused apply left a policy entry in the audit trail"

# --- on a terminal: asked, and "n" changes nothing ---------------------------------------------------------------
if command -v script >/dev/null && script -qec true /dev/null >/dev/null 2>&1; then
  printf 'n\n' | script -qec "$(printf '%q ' "$CARDCTL" policy apply "$NEW/next.toml")" /dev/null >"$T_CAPTURE/tty" 2>&1
  rc=$?
  [[ $rc == 2 ]]
  _check $? "answering n on the terminal: exit $rc, expected 2: $(cat "$T_CAPTURE/tty")"
  grep -q 'Apply .*next.toml as the policy of the installation in .*? \[y/N\]' "$T_CAPTURE/tty"
  _check $? "no question on the terminal: $(cat "$T_CAPTURE/tty")"
  grep -q 'not confirmed' "$T_CAPTURE/tty"
  _check $? "no 'not confirmed': $(cat "$T_CAPTURE/tty")"
  assert_installed_is "$T_ROOT/installed.orig"
fi

# --- --yes: applied --------------------------------------------------------------------------------------------
run "$CARDCTL" policy apply "$NEW/next.toml" --yes --operator admin-2
assert_exit 0
assert_stdout_matches '^\+unblocks_per_period = 5 '
assert_stdout_matches '^Templates added: +kiosk$'
assert_stdout_matches "^Applied: +$INSTALLED\$"
assert_stdout_matches "^SHA-256: +$(sha256sum "$NEW/next.toml" | cut -d' ' -f1)\$"
assert_installed_is "$NEW/next.toml"
[[ $(stat -c %a "$INSTALLED") == 600 ]]
_check $? "the installed policy's mode is $(stat -c %a "$INSTALLED"), not 600"
assert_no_new_files "$CARDCTL_HOME"   # no temp file left beside it
run "$CARDCTL" policy check "$INSTALLED"
assert_exit 0

# the audit entry, with both hashes
run "$CARDCTL" audit show --action policy --json
assert_json '.entries | length' 1
assert_json '.entries[0].outcome' applied
assert_json '.entries[0].operator' admin-2
jq -c 'select(.action == "policy")' "$CARDCTL_HOME/audit.log" >"$T_CAPTURE/out"
OUT=$(cat "$T_CAPTURE/out")
assert_json '.details.old_sha256' "$(sha256sum "$T_ROOT/installed.orig" | cut -d' ' -f1)"
assert_json '.details.new_sha256' "$(sha256sum "$NEW/next.toml" | cut -d' ' -f1)"
assert_json '.details.templates_added' 1
assert_json '.details.templates_removed' 0
assert_json '.details.templates_changed' 0
assert_json '.details.helpdesk_changed' yes
run "$CARDCTL" audit verify --json
assert_exit 0
assert_json '.ok' true

# later commands see the new rules: the new template, the new limit
run "$CARDCTL" issue --reader "sim:$FRESH" --template kiosk --holder bob --dry-run
assert_exit 0
assert_stdout_contains "Card 52002"
run "$CARDCTL" show 52001
assert_exit 0
assert_stdout_matches '^Offline unblocks: +0 of 5 in the last 30 days$'

# --- the same file again: nothing to apply, nothing audited ------------------------------------------------------
run "$CARDCTL" policy apply "$NEW/next.toml" --yes --json
assert_exit 0
assert_json '.applied' false
assert_json '.diff' ''
assert_stderr_contains "nothing to apply"
[[ $(policy_entries) == 1 ]]
_check $? "applying the same policy again was audited"

# --- JSON: the kiosk template removed (no card uses it) ----------------------------------------------------------
run "$CARDCTL" policy apply "$POLICY" --yes --json
assert_exit 0
assert_json '.ok' true
assert_json '.applied' true
assert_json '.changes.templates_removed' '["kiosk"]'
assert_json '.changes.templates_added' '[]'
assert_json '.changes.helpdesk_changed' true
assert_json '.diff | contains("-[templates.kiosk]")' true
assert_installed_is "$POLICY"
[[ $(policy_entries) == 2 ]]
_check $? "the second apply is not in the audit trail"
run "$CARDCTL" audit verify
assert_exit 0

# --- errors ----------------------------------------------------------------------------------------------------
run "$CARDCTL" policy apply "$NEW/missing.toml" --yes
assert_exit 7
assert_error_with_hint
assert_stderr_contains "no policy file at $NEW/missing.toml"
run "$CARDCTL" policy apply "$NEW/next.toml" --yes --home "$T_ROOT/nowhere"
assert_exit 7
assert_error_with_hint
assert_stderr_contains "no cardctl installation"
run "$CARDCTL" policy apply --yes
assert_exit 2

finish
