#!/usr/bin/env bash
# `cardsim serve --profile`: --help lists the profiles, an unknown one is a usage error naming the valid ones and
# nothing is served. The delays themselves are checked without a clock in tests/unit/cardsim.
. "$(dirname "$0")/lib.sh"

card=$(new_card card.sim --serial 12345678)

run "$CARDSIM" serve --help
assert_exit 0
assert_stdout_contains "--profile"
assert_stdout_contains "none, yubikey5"
assert_stdout_contains "--apdu-delay-ms"
assert_stdout_contains "--keygen-delay-ms"
assert_stdout_contains "--sign-delay-ms"

run "$CARDSIM" serve --profile bogus "$card"
assert_exit 2
assert_stderr_contains "unknown delay profile 'bogus'"
assert_stderr_contains "valid profiles: none, yubikey5"
assert_stdout_empty

run "$CARDSIM" serve --profile "" "$card"
assert_exit 2
assert_stderr_contains "unknown delay profile ''"

run "$CARDSIM" serve --sign-delay-ms -5 "$card"
assert_exit 2
assert_stderr_contains "--sign-delay-ms"

finish
