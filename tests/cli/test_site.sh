#!/usr/bin/env bash
# cardctl site show and site migrate (cardctl-site(1)): where the parts are; a populated SQLite installation moved
# into PostgreSQL keeps its trail intact (verified after the move), its counts and its answers; a second
# workstation verifies the same chain; a row edited in the database is found; an unreachable server, a URL with a
# password and a database that already holds an installation are refused clearly.
. "$(dirname "$0")/lib.sh"
. "$CARDCTL_SOURCE/tests/cli/offline_unblock_setup.sh"
. "$CARDCTL_SOURCE/tests/support/postgres.sh"
trap 'pg_stop; rm -rf "$T_ROOT"' EXIT

run "$CARDCTL" site show --json
assert_exit 0
assert_json '[.inventory.kind, .audit.kind, .site_file] | map(tostring) | join(" ")' "sqlite file null"
run "$CARDCTL" site show --home "$T_ROOT/nowhere"
assert_exit 7
assert_stderr_contains "cardctl init"

# A URL with a password is refused, and the password is not repeated.
run "$CARDCTL" init --home "$T_ROOT/other" --policy "$POLICY" --scrypt-n 1024 --inventory "postgresql://u:s3cr3t@db/x"
assert_exit 2
assert_stderr_contains "holds a password"
assert_stderr_not_contains "s3cr3t"
[[ ! -e $T_ROOT/other ]]
_check $? "a refused init left an installation behind"

# A populated installation: a card unblocked twice, one failed identification.
card=$(new_card staff.sim --serial 50005)
issue "$card" staff holder-m
unblock_offline "$card" 50005
unblock_offline "$card" 50005
block_pin "$card"
run "$CARDCTL" challenge --reader "sim:$card" --detach --json
challenge=$(code_of "$OUT")
run "$CARDCTL" respond --card 50005 --challenge "$challenge" --answers-file "$WRONG"
assert_exit 6
run "$CARDCTL" audit verify --json
assert_exit 0
before=$(jq .entries <<<"$OUT")

pg_start
url=$(pg_new_database moved)
run "$CARDCTL" site migrate --to "$url" --json
assert_exit 0
assert_json .entries "$before"
assert_json '.kept | length' 2
run "$CARDCTL" site show --json
assert_json '[.inventory.kind, .audit.kind, .inventory.location == "'"$url"'"] | map(tostring) | join(" ")' \
  "postgresql postgresql true"
[[ ! -e $CARDCTL_HOME/inventory.db && ! -e $CARDCTL_HOME/audit.log ]]
_check $? "the old inventory or trail file is still in place after the move"
run "$CARDCTL" audit verify --json
assert_exit 0
assert_json .entries "$((before + 1))"   # and the move itself
run "$CARDCTL" audit show --action site-migrate --json
assert_json '.entries | length' 1

# The counts moved with it: this is the 3rd unblock of the period, and the 4th is refused.
run "$CARDCTL" respond --card 50005 --challenge "$challenge" --answers-file "$ANSWERS" --json
assert_exit 0
assert_json .unblocks_left_in_period 0
run "$CARDCTL" challenge --reader "sim:$card" --detach --json
run "$CARDCTL" respond --card 50005 --challenge "$(code_of "$OUT")" --answers-file "$ANSWERS"
assert_exit 6
assert_stderr_contains "the policy allows 3"

# A second workstation: the installation directory copied; the same chain verifies there.
cp -a "$CARDCTL_HOME" "$T_ROOT/desk2"
CARDCTL_HOME=$T_ROOT/desk2 run "$CARDCTL" audit verify --json
assert_exit 0
entries=$(jq .entries <<<"$OUT")
CARDCTL_HOME=$T_ROOT/desk2 run "$CARDCTL" site show
assert_stdout_contains "PostgreSQL, shared"

# Moving again, or into a database that holds an installation, is refused.
run "$CARDCTL" site migrate --to "$url"
assert_exit 2
assert_stderr_contains "in a database already"
other=$T_ROOT/site-b
CARDCTL_HOME=$other run "$CARDCTL" init --policy "$POLICY" --scrypt-n 1024
CARDCTL_HOME=$other run "$CARDCTL" site migrate --to "$url"
assert_exit 8
assert_stderr_contains "belongs to another installation"
[[ -e $other/inventory.db && ! -e $other/site.toml ]]
_check $? "a refused move changed the installation"

# An entry edited in the database is found by every workstation.
pg_psql moved "UPDATE audit_trail SET line = replace(line, '\"outcome\":\"refused\"', '\"outcome\":\"ok\"') WHERE seq = (SELECT min(seq) FROM audit_trail WHERE line LIKE '%\"outcome\":\"refused\"%')"
CARDCTL_HOME=$T_ROOT/desk2 run "$CARDCTL" audit verify
assert_exit 6
assert_stderr_contains "tampered"

# The server gone: a clear error naming it, nothing else.
pg_stop
run "$CARDCTL" list
assert_exit 8
assert_stderr_contains "cannot reach the inventory database postgresql:///moved"
assert_stderr_contains "running and reachable"

finish
