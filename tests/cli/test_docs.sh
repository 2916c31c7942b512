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
# Every environment variable the code reads is in cardctl(1), ENVIRONMENT. CARDCTL_VERSION is the version
# compiled in, not a variable read at run time.
environment=$(awk '/^\.SH ENVIRONMENT/ { on = 1; next } on && /^\.SH / { on = 0 } on' "$CARDCTL_SOURCE/man/cardctl.1")
variables=$(grep -rhoE --include='*.cpp' --include='*.hpp' --include='*.h' 'CARDCTL_[A-Z_]+' \
  "$CARDCTL_SOURCE/src" "$CARDCTL_SOURCE/include" "$CARDCTL_SOURCE/tools" | sort -u | grep -vx CARDCTL_VERSION)
[[ -n $variables ]]
_check $? "no CARDCTL_ variables found in the sources"
for variable in $variables NO_COLOR; do
  grep -qw -- "$variable" <<<"$environment"
  _check $? "cardctl(1) ENVIRONMENT does not list $variable"
done
# The README's Documentation section names every man page.
documentation=$(awk '/^## Documentation/ { on = 1; next } on && /^## / { on = 0 } on' "$CARDCTL_SOURCE/README.md")
for page in "$CARDCTL_SOURCE"/man/*.1; do
  name=$(basename "$page" .1)
  grep -qF -- "\`$name(1)\`" <<<"$documentation"
  _check $? "README.md, Documentation, does not list $name(1)"
done
bash -n "$CARDCTL_SOURCE/completions/cardctl.bash"
_check $? "bash completion has a syntax error"
finish
