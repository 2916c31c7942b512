#!/usr/bin/env bash
# The README's first command ends with examples/demo.sh: it must keep running the whole offline-unblock story.
. "$(dirname "$0")/lib.sh"
run "$CARDCTL_SOURCE/examples/demo.sh"
assert_exit 0
assert_stderr_contains "the PIN is set"
assert_stdout_contains "Result:       intact"
assert_stdout_matches '"remaining": 3,'
assert_stdout_not_contains "480213"   # the new PIN, given in a file, is never printed
finish
