#!/bin/bash
# The offline-unblock story over real PC/SC (issue 3): cards served by cardsim through a private pcscd, a TDES
# and an AES card, each issued by cardctl, blocked with yubico-piv-tool, then unblocked through the helpdesk —
# in the detached flow (challenge --detach, a new connection for unblock --response) and the scripted one, whose
# steps are those of the CLI tier (tests/shared/unblock_flow.sh).
set -euo pipefail
source "$HARNESS"
pcsc_require yubico-piv-tool jq
source "$CARDCTL_SOURCE/tests/shared/unblock_flow.sh"
export CARDCTL_HOME=$PCSC_DIR/site CARDCTL_PASSPHRASE="pcsc passphrase 1" CARDCTL_OPERATOR=helpdesk-1
policy=$PCSC_DIR/policy.toml
sed 's/^\[templates.yubikey\]/[templates.legacy]\nadmin_key = { algorithm = "tdes", diversify = true }\n\n[templates.yubikey]/' \
  "$CARDCTL_SOURCE/examples/policy.toml" >"$policy"
answers=$PCSC_DIR/answers
printf '%s\n' "$FLOW_ANSWER_LINES" >"$answers"
printf '482917\n' >"$PCSC_DIR/pin"
chmod 600 "$answers" "$PCSC_DIR/pin"
"$CARDCTL_BIN" init --policy "$policy" --scrypt-n 1024 >/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj "/CN=cardctl test CA" \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
  -keyout "$PCSC_DIR/ca.key" -out "$PCSC_DIR/ca.pem" 2>/dev/null
chmod 600 "$PCSC_DIR/ca.key"

"$CARDSIM_BIN" create "$PCSC_DIR/aes.card" --serial 41001 2>/dev/null
"$CARDSIM_BIN" create "$PCSC_DIR/tdes.card" --serial 41002 2>/dev/null
pcsc_start 1 "$PCSC_DIR/aes.card" "$PCSC_DIR/tdes.card"

i=0
for template in staff legacy; do
  reader=${PCSC_READERS[$i]}
  id=$((41001 + i))
  i=$((i + 1))
  flow_issue pcsc_fail "@$reader" "$template" "h$id" --ca-cert "$PCSC_DIR/ca.pem" --ca-key "$PCSC_DIR/ca.key"
  [[ $(jq -r .card_id <<<"$OUT") == "$id" ]] || pcsc_fail "issued card id: $OUT"

  # detached: the challenge stays on the card across PC/SC connections (SCARD_LEAVE_CARD)
  flow_block_pin pcsc_fail "@$reader"
  flow_detached pcsc_fail "@$reader" "$id" "$answers" "$PCSC_DIR/pin"
  yubico-piv-tool -r "$reader" -a verify-pin -P 482917 2>&1 | grep -q "Successfully verified PIN" ||
    pcsc_fail "$template: yubico-piv-tool does not accept the new PIN"

  # scripted: one connection, response and new PIN on stdin; with --json the code is shown on stderr and the one
  # document on stdout is the outcome
  flow_block_pin pcsc_fail "@$reader"
  flow_scripted pcsc_fail "@$reader" "$id" "$answers" 482917 "$PCSC_DIR"
done

# The interactive flow in a pseudo-terminal (tmux): one command, one PC/SC connection held throughout.
if command -v tmux >/dev/null; then
  reader=${PCSC_READERS[1]}
  flow_block_pin pcsc_fail "@$reader"
  sock=$PCSC_DIR/tmux.sock
  tmux -S "$sock" new-session -d -x 200 -y 50 \
    "env CARDCTL_HOME=$CARDCTL_HOME $CARDCTL_BIN unblock --reader '@$reader'; echo EXIT=\$?; sleep 30"
  screen() { tmux -S "$sock" capture-pane -p; }
  wait_for() { for _ in $(seq 150); do screen | grep -q "$1" && return 0; sleep 0.1; done; pcsc_fail "no '$1' on screen: $(screen)"; }
  wait_for "response code"
  challenge=$(screen | awk '/^Challenge:/ { $1 = ""; c = $0 } /^Check:/ { print c " " $2 }' | sed 's/^ *//')
  flow_respond pcsc_fail 41002 "$challenge" "$answers"
  tmux -S "$sock" send-keys "$FLOW_RESPONSE" Enter   # with its check, as the helpdesk reads it out
  wait_for "Enter new PIN"
  tmux -S "$sock" send-keys 482917 Enter
  wait_for "Repeat new PIN"
  tmux -S "$sock" send-keys 482917 Enter
  wait_for "EXIT="
  screen | grep -q "EXIT=0" || pcsc_fail "interactive unblock over PC/SC failed: $(screen)"
  if screen | grep -q 482917; then pcsc_fail "the new PIN was echoed"; fi
  tmux -S "$sock" kill-server 2>/dev/null || true
  [[ $(flow_pin_left "@$reader") == 3 ]] || pcsc_fail "interactive flow did not restore the PIN"
else
  pcsc_fail "tmux is not installed: the pseudo-terminal flow was not tested"
fi

# A card pulled out between challenge and unblock: a one-line error naming the reader, and a new challenge is
# needed once it is back.
reader=${PCSC_READERS[0]}
flow_block_pin pcsc_fail "@$reader"
flow_challenge pcsc_fail "@$reader" 41001
flow_respond pcsc_fail 41001 "$FLOW_CHALLENGE" "$answers"
resp=$FLOW_RESPONSE
pcsc_ctl remove 0 >/dev/null
pcsc_wait_card "$reader" no || pcsc_fail "card 0 still present"
out=$("$CARDCTL_BIN" unblock --reader "@$reader" --response "$resp" --pin-file "$PCSC_DIR/pin" 2>&1) && pcsc_fail "unblock without a card"
grep -q "^cardctl: error: .*$reader" <<<"$out" || pcsc_fail "the error does not name the reader: $out"
pcsc_ctl insert 0 >/dev/null
pcsc_wait_card "$reader" yes || pcsc_fail "card 0 did not come back"
out=$("$CARDCTL_BIN" unblock --reader "@$reader" --response "$resp" --pin-file "$PCSC_DIR/pin" 2>&1) && pcsc_fail "a lost challenge was accepted"
grep -q "no longer holds the challenge" <<<"$out" || pcsc_fail "lost challenge not explained: $out"
"$CARDCTL_BIN" audit verify >/dev/null || pcsc_fail "audit trail not intact"
echo "offline unblock over PC/SC: ok"
