#!/usr/bin/env bash
# Every subcommand ships with its man page and its completions (bash, zsh, fish), and the man pages format
# without warnings.
. "$(dirname "$0")/lib.sh"

run "$CARDCTL" --help
assert_exit 0
commands=$(awk '/^Subcommands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { on = 0 }' <<<"$OUT")
[[ -n $commands ]]
_check $? "no subcommands found in cardctl --help"
for cmd in $commands; do
  [[ -f $CARDCTL_SOURCE/man/cardctl-$cmd.1 ]]
  _check $? "no man page man/cardctl-$cmd.1"
  grep -q "\\.B $cmd" "$CARDCTL_SOURCE/man/cardctl.1"
  _check $? "cardctl(1) does not list $cmd"
  grep -qw "$cmd" "$CARDCTL_SOURCE/completions/cardctl.bash"
  _check $? "bash completion lacks $cmd"
  grep -q "'$cmd:" "$CARDCTL_SOURCE/completions/_cardctl"
  _check $? "zsh completion lacks $cmd"
  grep -q -- "-a $cmd " "$CARDCTL_SOURCE/completions/cardctl.fish"
  _check $? "fish completion lacks $cmd"
  run "$CARDCTL" "$cmd" --help
  assert_exit 0
done
if command -v groff >/dev/null; then
  for page in "$CARDCTL_SOURCE"/man/*.1; do
    warnings=$(groff -man -Tutf8 -ww "$page" 2>&1 >/dev/null)
    [[ -z $warnings ]]
    _check $? "$page: $warnings"
  done
fi
bash -n "$CARDCTL_SOURCE/completions/cardctl.bash"
_check $? "bash completion has a syntax error"
finish
