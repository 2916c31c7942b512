#!/usr/bin/env bash
# The interactive flow in a pseudo-terminal (tmux), one command and one card session on a TDES card: unblock shows
# the challenge, takes the response and the new PIN twice without echoing it, and exits 0 with the PIN set.
. "$(dirname "$0")/lib.sh"
. "$CARDCTL_SOURCE/tests/cli/offline_unblock_setup.sh"

if command -v tmux >/dev/null; then
  card=$(new_card interactive.sim --serial 30002)
  issue "$card" legacy holder-interactive
  block_pin "$card"
  sock=$T_ROOT/tmux.sock
  tmux -S "$sock" new-session -d -x 200 -y 50 "env CARDCTL_HOME=$CARDCTL_HOME $CARDCTL unblock --reader sim:$card; echo EXIT=\$?; sleep 30"
  screen() { tmux -S "$sock" capture-pane -p; }
  for _ in $(seq 100); do screen | grep -q "response code" && break; sleep 0.1; done
  challenge=$(screen | awk '/^Challenge:/ { $1 = ""; c = $0 } /^Check:/ { print c " " $2 }' | sed 's/^ *//')
  run "$CARDCTL" respond --card 30002 --challenge "$challenge" --answers-file "$ANSWERS" --json
  assert_exit 0
  tmux -S "$sock" send-keys "$(code_of "$OUT")" Enter
  for _ in $(seq 100); do screen | grep -q "new PIN" && break; sleep 0.1; done
  tmux -S "$sock" send-keys 482917 Enter
  for _ in $(seq 100); do screen | grep -q "Repeat new PIN" && break; sleep 0.1; done
  tmux -S "$sock" send-keys 482917 Enter
  for _ in $(seq 100); do screen | grep -q "EXIT=" && break; sleep 0.1; done
  screen | grep -q "EXIT=0"
  _check $? "interactive unblock did not succeed:"$'\n'"$(screen)"
  screen | grep -q 482917
  _check $((!$?)) "the PIN was echoed on the terminal"
  tmux -S "$sock" kill-server 2>/dev/null
  [[ $(pin_left "$card") == 3 ]]
  _check $? "interactive flow did not restore the PIN"
else
  _fail "tmux is not installed: the pseudo-terminal flow was not tested"
fi

finish
