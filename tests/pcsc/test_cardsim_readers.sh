#!/bin/bash
# cardsim presents reference cards through vpcd: pcscd sees one card per reader with the card's ATR, APDUs
# reach the card, and a card pulled or put back through the control socket leaves or re-enters its reader.
set -euo pipefail
source "$HARNESS"
pcsc_require

"$CARDSIM_BIN" create "$PCSC_DIR/card0.card" --serial 1001
"$CARDSIM_BIN" create "$PCSC_DIR/card1.card" --serial 1002 --admin-alg aes128
pcsc_start 1 "$PCSC_DIR/card0.card" "$PCSC_DIR/card1.card"

# Both readers of the vpcd entry show a card.
list=$(opensc-tool -l)
for reader in "${PCSC_READERS[@]}"; do
  [[ $(pcsc_reader_state "$reader") == yes ]] || pcsc_fail "reader '$reader' shows no card:"$'\n'"$list"
done

# The reader reports the card's own ATR.
want_atr=$(pcsc_ctl status | jq -r '.cards[0].atr')
[[ -n $want_atr && $want_atr != null ]] || pcsc_fail "cardsim status has no ATR"
got_atr=$(opensc-tool --reader 0 --atr | tr -d ': \n' | tr 'A-F' 'a-f')
[[ $got_atr == "$want_atr" ]] || pcsc_fail "reader 0 ATR $got_atr, card ATR $want_atr"

# SELECT PIV (with Le, so that opensc-tool shows the data) reaches the card in each reader, which answers
# with its application property template 61 11 { 4F 06 <PIX>, 79 07 { 4F 05 A0 00 00 03 08 } } and 90 00
# (SP 800-73-4 Part 2 §3.1.1).
select_piv() {
  opensc-tool --reader "$1" --send-apdu 00A4040005A00000030800 2>&1
}
# The response bytes of opensc-tool's output (16 per line, then an ASCII column), as one hex string.
response_hex() {
  awk '/^Received/ { data = 1; next } data { print substr($0, 1, 48) }' | tr -d ' \n'
}
piv_template=61114F0600001000010079074F05A000000308
for n in 0 1; do
  out=$(select_piv "$n")
  grep -q "SW1=0x90, SW2=0x00" <<<"$out" || pcsc_fail "reader $n: SELECT PIV did not succeed:"$'\n'"$out"
  [[ $(response_hex <<<"$out") == "$piv_template" ]] ||
    pcsc_fail "reader $n: SELECT PIV data is not the PIV application template:"$'\n'"$out"
done
apdus=$(pcsc_ctl status | jq '.cards[1].apdus')
((apdus > 0)) || pcsc_fail "cardsim counted no APDU for card 1"

# Pull card 1: its reader shows no card, the other card stays.
pcsc_ctl remove 1 >/dev/null
pcsc_wait_card "${PCSC_READERS[1]}" no || pcsc_fail "card 1 still shows after 'remove 1'"
[[ $(pcsc_reader_state "${PCSC_READERS[0]}") == yes ]] || pcsc_fail "card 0 left its reader with card 1"
[[ $(pcsc_ctl status | jq '.cards[1].connected') == false ]] || pcsc_fail "cardsim still reports card 1 connected"
if select_piv 1 | grep -q "SW1=0x90"; then pcsc_fail "an APDU reached the removed card 1"; fi

# Put it back: it answers again.
pcsc_ctl insert 1 >/dev/null
pcsc_wait_card "${PCSC_READERS[1]}" yes || pcsc_fail "card 1 did not come back after 'insert 1'"
out=$(select_piv 1)
[[ $(response_hex <<<"$out") == "$piv_template" ]] || pcsc_fail "reinserted card 1 does not answer SELECT PIV:"$'\n'"$out"

echo "PASS"
