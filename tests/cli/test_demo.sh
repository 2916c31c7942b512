#!/usr/bin/env bash
# The README's first command ends with examples/demo.sh: it must keep running the whole offline-unblock story,
# and show every command as a person would type it.
. "$(dirname "$0")/lib.sh"
run "$CARDCTL_SOURCE/examples/demo.sh"
assert_exit 0
assert_stdout_contains "the PIN is set"
assert_stdout_contains "Result:       intact"
assert_stdout_matches '"remaining": 3,'
assert_stdout_not_contains "480213"   # the new PIN, given in a file, is never printed

# Every command line ("$ ..."): valid shell that can be pasted, no wrapper a person would not type, no path
# of the demo's own temporary directory or build tree.
commands=$(sed -n 's/^\$ //p' <<<"$OUT")
[[ $(wc -l <<<"$commands") -ge 10 ]]
_check $? "fewer command lines than expected: $commands"
while IFS= read -r line; do
  bash -n <<<"$line" 2>/dev/null
  _check $? "not valid shell: $line"
  [[ $line != *'$0'* && $line != *'bash -c'* ]]
  _check $? "a wrapper, not what a person types: $line"
  [[ $line != *cardctl-demo.* && $line != *"$(dirname "$CARDCTL")"/* ]]
  _check $? "a path of this run, not pasteable: $line"
  [[ $line =~ ^(DEMO=|export\ |printf\ |chmod\ |openssl\ |cardctl\ |cardsim\ ) ]]
  _check $? "unexpected command: $line"
done <<<"$commands"
# Codes with spaces are quoted: pasted, each is one argument.
grep -qE -- "--challenge '[0-9A-F ]+'" <<<"$commands"
_check $? "the challenge is not quoted as one argument"
grep -qE -- "--response '[0-9A-F ]+'" <<<"$commands"
_check $? "the response is not quoted as one argument"
finish
