#!/bin/bash
# cardsim outlives pcscd: when pcscd restarts, the cards come back in the same readers, with their state
# (saved after every APDU) intact.
set -euo pipefail
source "$HARNESS"
pcsc_require

card="$PCSC_DIR/card0.card"
"$CARDSIM_BIN" create "$card" --serial 3001
pcsc_start 1 "$card"

# A wrong PIN (VERIFY 80, "111111" padded with FF) spends a try; the state file shows it at once.
out=$(opensc-tool --reader 0 --send-apdu 00A4040005A000000308 --send-apdu 0020008008313131313131FFFF 2>&1)
grep -q "SW1=0x63, SW2=0xC2" <<<"$out" || pcsc_fail "a wrong PIN did not answer 63 C2:"$'\n'"$out"
grep -A3 '^\[pin\]' "$card" | grep -q '^left = 2' || pcsc_fail "the state file does not show 2 PIN tries left"

pcsc_restart_pcscd || pcsc_fail "the card did not come back after pcscd restarted"
out=$(opensc-tool --reader 0 --send-apdu 00A4040005A000000308 --send-apdu 00200080 2>&1)
grep -q "SW1=0x63, SW2=0xC2" <<<"$out" || pcsc_fail "after the restart the card does not report 2 tries left:"$'\n'"$out"
[[ $(pcsc_ctl status | jq '.cards[0].connected') == true ]] || pcsc_fail "cardsim does not report the card connected"

echo "PASS"
