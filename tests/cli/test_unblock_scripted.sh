#!/usr/bin/env bash
# The scripted flow: challenge --json shows the code on stderr, reads the response and the new PIN on stdin, and its
# one JSON document on stdout is the outcome (ok, the card, unblocked); the PIN is set (flow_scripted checks all this).
. "$(dirname "$0")/lib.sh"
. "$CARDCTL_SOURCE/tests/cli/offline_unblock_setup.sh"

card=$(new_card scripted.sim --serial 30001)
issue "$card" staff holder-scripted
block_pin "$card"
flow_scripted _fail "sim:$card" 30001 "$ANSWERS" 482917 "$T_ROOT"

finish
