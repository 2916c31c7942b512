#!/bin/bash
# Fault injection through pcscd: a card told to vanish after K APDUs answers exactly K more, then leaves its
# reader; the state file records it; `insert` puts it back with a fresh session.
set -euo pipefail
source "$HARNESS"
pcsc_require
apdus() { pcsc_ctl status | jq ".cards[$1].apdus"; }
select_piv() { opensc-tool --reader "$1" --send-apdu 00A4040005A00000030800 2>&1; }

card="$PCSC_DIR/card0.card"
"$CARDSIM_BIN" create "$card" --serial 2001
"$CARDSIM_BIN" create "$PCSC_DIR/card1.card" --serial 2002
pcsc_start 1 "$card" "$PCSC_DIR/card1.card"

# OpenSC probes several card drivers on connect, so one opensc-tool run sends more than 3 APDUs.
before=$(apdus 0)
pcsc_ctl vanish-after 0 3 >/dev/null
if select_piv 0 | grep -q "SW1=0x90, SW2=0x00"; then pcsc_fail "the command finished although the card vanished"; fi
after=$(apdus 0)
((after == before + 3)) || pcsc_fail "the card answered $((after - before)) APDUs, not 3, before vanishing"
pcsc_wait_card "${PCSC_READERS[0]}" no || pcsc_fail "the vanished card still shows in its reader"
[[ $(pcsc_ctl status | jq '.cards[0].vanished') == true ]] || pcsc_fail "cardsim does not report card 0 vanished"
grep -A2 '^\[fault\]' "$card" | grep -q '^vanished = true' || pcsc_fail "the state file does not record the vanish"
[[ $(pcsc_reader_state "${PCSC_READERS[1]}") == yes ]] || pcsc_fail "the other card left with card 0"

# Back in the reader: the fault is cleared and the card answers.
pcsc_ctl insert 0 >/dev/null
pcsc_wait_card "${PCSC_READERS[0]}" yes || pcsc_fail "card 0 did not come back after 'insert 0'"
select_piv 0 | grep -q "SW1=0x90, SW2=0x00" || pcsc_fail "card 0 does not answer after 'insert 0'"
grep -A2 '^\[fault\]' "$card" | grep -q '^vanished = false' || pcsc_fail "the state file still records the vanish"

# vanish-after 0: the very next APDU finds no card.
pcsc_ctl vanish-after 1 0 >/dev/null
before=$(apdus 1)
if select_piv 1 | grep -q "SW1=0x90"; then pcsc_fail "card 1 answered after vanish-after 0"; fi
[[ $(apdus 1) == "$before" ]] || pcsc_fail "card 1 answered APDUs after vanish-after 0"
pcsc_wait_card "${PCSC_READERS[1]}" no || pcsc_fail "card 1 still shows after vanishing"

echo "PASS"
