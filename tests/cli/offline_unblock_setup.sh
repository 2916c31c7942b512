# What every offline-unblock scenario (test_unblock_*.sh) needs; source it after lib.sh:
#
#   . "$(dirname "$0")/lib.sh"
#   . "$CARDCTL_SOURCE/tests/cli/offline_unblock_setup.sh"   # a full path: lib.sh has changed directory
#
# A site in $T_ROOT/site (made by init, unless the scenario sets UNBLOCK_SKIP_INIT=1 to run "${INIT[@]}" itself),
# whose policy adds a TDES template, legacy, to the AES staff and the no-offline-unblock yubikey templates of
# examples/policy.toml; the holders' answers ($ANSWERS), wrong answers ($WRONG), a new PIN ($PIN, 482917); and
# helpers on sim: card files that run the flow steps of tests/shared/unblock_flow.sh (flow_*), checked by _fail.

export CARDCTL_HOME=$T_ROOT/site CARDCTL_PASSPHRASE="test passphrase 1" CARDCTL_OPERATOR=helpdesk-1

. "${CARDCTL_SOURCE:?set CARDCTL_SOURCE to the source tree}/tests/shared/unblock_flow.sh"
# The flow steps run cardctl through lib.sh, so the assertions after a step read its output (OUT, RC, ERR) and its
# JSON is checked against the published schema.
flow_cardctl() {
  run_with_stdin "$1" "$CARDCTL" "${@:2}"
}

# A policy with a TDES and an AES template that allow offline unblock, and one that does not.
POLICY=$T_ROOT/policy.toml
sed 's/^\[templates.yubikey\]/[templates.legacy]\nadmin_key = { algorithm = "tdes", diversify = true }\n\n[templates.yubikey]/' \
  "$CARDCTL_SOURCE/examples/policy.toml" >"$POLICY"
ANSWERS=$(secret_file answers "$FLOW_ANSWER_LINES")
WRONG=$(secret_file wrong "first-school: nope
first-street: nope
first-concert: nope")
PIN=$(secret_file pin 482917)

INIT=("$CARDCTL" init --policy "$POLICY" --scrypt-n 1024)
if [[ ${UNBLOCK_SKIP_INIT:-} != 1 ]]; then
  "${INIT[@]}" >/dev/null 2>"$T_CAPTURE/init.err" ||
    { echo "offline_unblock_setup.sh: cardctl init failed: $(cat "$T_CAPTURE/init.err")" >&2; exit 1; }
fi

issue() {  # issue CARD TEMPLATE HOLDER: issues the card to HOLDER, named "Holder HOLDER"; OUT is the issue document
  flow_issue _fail "sim:$1" "$2" "$3" --name "Holder $3" "${CA[@]}"
}
block_pin() {  # block_pin CARD: three wrong PINs; checks that none is left
  flow_block_pin _fail "sim:$1"
}
pin_left() {  # pin_left CARD: prints the PIN tries left
  flow_pin_left "sim:$1"
}
code_of() {  # code_of DOC: the code of a challenge or respond document, with its check
  flow_code "$1"
}
unblock_offline() {  # unblock_offline CARD CARD-ID: blocks the PIN, then the whole detached flow (FLOW_RESPONSE)
  block_pin "$1"
  flow_detached _fail "sim:$1" "$2" "$ANSWERS" "$PIN"
}
