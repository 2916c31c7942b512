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
  # Each command's own help, with its own examples: not the top-level ones.
  subs=$(awk '/^Subcommands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { on = 0 }' <<<"$OUT")
  paths=("$cmd")
  if [[ -n $subs ]]; then  # a command with sub-commands: each of those has the examples
    paths=()
    for sub in $subs; do paths+=("$cmd $sub"); done
  fi
  for path in "${paths[@]}"; do
    # shellcheck disable=SC2086
    run "$CARDCTL" $path --help
    assert_exit 0
    assert_stdout_contains "Example"
    assert_stdout_matches "^  cardctl $path( |\$)"
    assert_stdout_not_contains "Run 'cardctl COMMAND --help'"
    # Its --json output has a published schema (docs/schema/COMMAND[-SUB].json), which the CLI tests check.
    [[ -f $CARDCTL_SOURCE/docs/schema/${path/ /-}.json ]]
    _check $? "no docs/schema/${path/ /-}.json for cardctl $path"
  done
done
# An unknown command, or an unknown sub-command, is a usage error with a suggestion, even with --help.
run "$CARDCTL" stauts --help
assert_exit 2
assert_stdout_empty
assert_stderr_contains "unknown command 'stauts'"
assert_stderr_contains "did you mean 'cardctl status'"
run "$CARDCTL" puc sohw
assert_exit 2
assert_stderr_contains "did you mean 'cardctl puc show'"
run "$CARDCTL" audit frobnicate --json
assert_exit 2
assert_json '.error.code' usage
# The exit-code summary of --help is the table of cardctl(1).
run "$CARDCTL" --help
for code in 0 1 2 3 4 5 6 7 8 9 10; do
  grep -q "^\.B $code\$" "$CARDCTL_SOURCE/man/cardctl.1"
  _check $? "cardctl(1) EXIT STATUS lacks $code"
  assert_stdout_matches "(: |, )$code [a-zA-Z/]"
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
variables=$(grep -rhoE --include='*.cpp' --include='*.hpp' --include='*.h' 'CARDCTL_[A-Z0-9_]+' \
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

# The project's design lives in docs/; the notes it was written from are not part of the repository, so no file
# may cite them. Every docs/X.md#anchor cited must name a page that exists and a heading in it.
self=tests/cli/test_docs.sh
if tracked=$(git -C "$CARDCTL_SOURCE" ls-files 2>/dev/null) && [[ -n $tracked ]]; then
  mapfile -t files <<<"$tracked"
else  # not a git checkout: every file but build trees
  mapfile -t files < <(cd "$CARDCTL_SOURCE" && find . -path ./.git -prune -o -path './build*' -prune -o -type f -print |
                         sed 's|^\./||')
fi
outside='DESIGN\.md|STYLE\.md|piv-protocol\.md|\.\./shared|shared/vector[s]|shared/referenc[e]'
cited=$(cd "$CARDCTL_SOURCE" && for f in "${files[@]}"; do
          [[ $f == "$self" || ! -f $f ]] || grep -IHnE "$outside" -- "$f"
        done)
[[ -z $cited ]]
_check $? "files cite documents outside the repository (cite docs/*.md, a man page or the standard instead):
$cited"

# GitHub's heading anchors: lower case, punctuation other than - and _ dropped, spaces to hyphens.
# Lines in fenced code blocks are not headings.
anchors_of() {
  awk '/^```/ { fenced = !fenced; next } !fenced && /^##?#?#?#?#?[ \t]/' "$1" |
    sed 's/^#*[[:space:]]*//; s/[[:space:]]*#*[[:space:]]*$//' | LC_ALL=C tr 'A-Z' 'a-z' |
    LC_ALL=C sed 's/[^a-z0-9 _-]//g; s/ /-/g'
}
# check_link FILE-CITING PAGE [ANCHOR]
check_link() {
  local page=$CARDCTL_SOURCE/$2
  [[ -f $page ]]
  _check $? "$1 cites $2, which does not exist"
  if [[ -f $page && -n $3 ]]; then
    anchors_of "$page" | grep -qxF -- "$3"
    _check $? "$1 cites $2#$3, but $2 has no heading with that anchor"
  fi
}
links=$(cd "$CARDCTL_SOURCE" && for f in "${files[@]}"; do
          [[ $f == "$self" || ! -f $f ]] || grep -IoHE 'docs/[A-Za-z0-9_.-]+\.md(#[A-Za-z0-9_-]+)?' -- "$f"
        done | sort -u)
while IFS=: read -r from link; do
  [[ -n $link ]] || continue
  check_link "$from" "${link%%#*}" "$([[ $link == *#* ]] && echo "${link#*#}")"
done <<<"$links"
# Links between the pages themselves are relative: [text](protocol.md#session-rules).
for page in "$CARDCTL_SOURCE"/docs/*.md; do
  [[ -f $page ]] || continue
  while read -r link; do
    [[ -n $link ]] || continue
    check_link "docs/${page##*/}" "docs/${link%%#*}" "$([[ $link == *#* ]] && echo "${link#*#}")"
  done < <(grep -oE '\]\([A-Za-z0-9_-]+\.md(#[A-Za-z0-9_-]+)?\)' "$page" | sed 's/^](//; s/)$//' | sort -u)
done
finish
