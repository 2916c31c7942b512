# Tiny assertion library for the cardctl CLI tests (docs/architecture.md#tests): run the real binary, then check its
# exit status, stdout, stderr and JSON, and that it left no file behind. Source it from a test script:
#
#   . "$(dirname "$0")/lib.sh"
#   run "$CARDCTL" status --reader "sim:$CARDS/card.sim"
#   assert_exit 0
#   assert_json '.pin.remaining' 3
#   finish
#
# Needs bash and jq. Environment: CARDCTL_BIN (the cardctl binary), CARDSIM_BIN (tools/cardsim).
# Each assertion that fails prints the command and its output; the script goes on, and finish exits 1.

set -u

CARDCTL=${CARDCTL_BIN:?set CARDCTL_BIN to the cardctl binary}
CARDSIM=${CARDSIM_BIN:-}
command -v jq >/dev/null || { echo "lib.sh: jq is needed (apt-get install jq)" >&2; exit 1; }

T_ROOT=$(mktemp -d "${TMPDIR:-/tmp}/cardctl-cli.XXXXXX")
T_CAPTURE=$T_ROOT/capture   # the last command's stdout and stderr
WORK=$T_ROOT/work           # the commands' working directory: nothing may appear here
CARDS=$T_ROOT/cards         # reference card files
mkdir -p "$T_CAPTURE" "$WORK" "$CARDS"
trap 'rm -rf "$T_ROOT"' EXIT
cd "$WORK" || exit 1
# CARDCTL_TEST_POSTGRES=1 (the *_postgres variants, tests/cli/CMakeLists.txt): the installation the test makes keeps
# its inventory and audit trail in a database of a private PostgreSQL server (tests/support/postgres.sh), through
# CARDCTL_INVENTORY, instead of the SQLite file and trail file in its directory.
if [[ ${CARDCTL_TEST_POSTGRES:-0} == 1 ]]; then
  . "${CARDCTL_SOURCE:?}/tests/support/postgres.sh"
  trap 'pg_stop; rm -rf "$T_ROOT"' EXIT
  pg_start
  CARDCTL_INVENTORY=$(pg_new_database cardctl) || exit 1
  export CARDCTL_INVENTORY
else
  unset CARDCTL_INVENTORY
fi

# new_inventory NAME: the --inventory for one more installation in the test: a new database in PostgreSQL mode,
# empty (the SQLite file in its directory) otherwise.
new_inventory() {
  if [[ ${CARDCTL_TEST_POSTGRES:-0} == 1 ]]; then pg_new_database "$1"; fi
}

# audit_text: the raw lines of the audit trail of $CARDCTL_HOME, wherever it is kept (to check what is recorded).
audit_text() {
  if [[ ${CARDCTL_TEST_POSTGRES:-0} == 1 ]]; then
    pg_psql cardctl "SELECT line FROM audit_trail ORDER BY seq"
  else
    cat "$CARDCTL_HOME/audit.log"
  fi
}
# No test may reach a PC/SC daemon by accident: the default socket is replaced by one that does not exist.
# Tests that start their own pcscd unset this.
export PCSCLITE_CSOCK_NAME=$T_ROOT/no-pcscd.comm
unset CARDCTL_PIN CARDCTL_NEW_PIN CARDCTL_PUK CARDCTL_PASSPHRASE NO_COLOR

T_CHECKS=0
T_FAILED=0
CMD=
RC=
OUT=
ERR=

# run CMD ARGS...: runs the command with stdin from /dev/null; sets RC, OUT, ERR.
run() {
  run_with_stdin "" "$@"
}

# run_with_stdin TEXT CMD ARGS...: the same, with TEXT (plus a newline unless empty) on stdin.
run_with_stdin() {
  local input=$1
  shift
  CMD=$*
  if [[ -n $input ]]; then
    "$@" >"$T_CAPTURE/out" 2>"$T_CAPTURE/err" <<<"$input"
  else
    "$@" >"$T_CAPTURE/out" 2>"$T_CAPTURE/err" </dev/null
  fi
  RC=$?
  OUT=$(cat "$T_CAPTURE/out")
  ERR=$(cat "$T_CAPTURE/err")
  [[ $1 == "$CARDCTL" ]] && _keep_json "${@:2}"
}

# Every cardctl --json document is checked against its published schema (docs/schema/COMMAND.json) by finish.
T_JSON=$T_ROOT/json
T_JSON_COUNT=0
_keep_json() {
  local arg name= sub= skip=0 json=0
  for arg in "$@"; do
    [[ $arg == --json ]] && json=1
  done
  [[ $json == 1 ]] || return 0
  for arg in "$@"; do
    if [[ $skip == 1 ]]; then skip=0; continue; fi
    case $arg in
      --reader | --serial) skip=1 ;;
      -*) ;;
      *)
        if [[ -z $name ]]; then
          name=$arg
          case $name in audit | holder | operator | pin | policy | puc | puk | site) ;; *) break ;; esac
        else
          sub=$arg
          break
        fi
        ;;
    esac
  done
  mkdir -p "$T_JSON"
  T_JSON_COUNT=$((T_JSON_COUNT + 1))
  cp "$T_CAPTURE/out" "$T_JSON/$T_JSON_COUNT.json"
  printf '%s\n%s\n' "${name}${sub:+-$sub}" "$CMD" >"$T_JSON/$T_JSON_COUNT.about"
  if [[ -n ${CARDCTL_SCHEMA_COLLECT:-} ]]; then
    mkdir -p "$CARDCTL_SCHEMA_COLLECT"
    cp "$T_CAPTURE/out" "$CARDCTL_SCHEMA_COLLECT/$$-$T_JSON_COUNT.json"
    cp "$T_JSON/$T_JSON_COUNT.about" "$CARDCTL_SCHEMA_COLLECT/$$-$T_JSON_COUNT.about"
  fi
}

_fail() {
  T_FAILED=$((T_FAILED + 1))
  {
    echo "FAIL: $1"
    echo "  command: $CMD"
    echo "  exit:    $RC"
    echo "  stdout:"
    sed 's/^/    | /' "$T_CAPTURE/out"
    echo "  stderr:"
    sed 's/^/    | /' "$T_CAPTURE/err"
  } >&2
}

_check() {  # _check CONDITION-STATUS MESSAGE
  T_CHECKS=$((T_CHECKS + 1))
  if [[ $1 -ne 0 ]]; then _fail "$2"; fi
}

assert_exit() {
  [[ $RC == "$1" ]]
  _check $? "exit status $RC, expected $1"
}

assert_stdout_contains() {
  [[ $OUT == *"$1"* ]]
  _check $? "stdout does not contain '$1'"
}

assert_stdout_not_contains() {
  [[ $OUT != *"$1"* ]]
  _check $? "stdout contains '$1'"
}

assert_stderr_contains() {
  [[ $ERR == *"$1"* ]]
  _check $? "stderr does not contain '$1'"
}

assert_stderr_not_contains() {
  [[ $ERR != *"$1"* ]]
  _check $? "stderr contains '$1'"
}

# assert_stdout_matches ERE / assert_stderr_matches ERE: some line matches the extended regular expression.
assert_stdout_matches() {
  grep -Eq -- "$1" "$T_CAPTURE/out"
  _check $? "no stdout line matches /$1/"
}

assert_stderr_matches() {
  grep -Eq -- "$1" "$T_CAPTURE/err"
  _check $? "no stderr line matches /$1/"
}

assert_stderr_not_matches() {
  ! grep -Eq -- "$1" "$T_CAPTURE/err"
  _check $? "a stderr line matches /$1/"
}

assert_stdout_empty() {  # no data; a failed --json command prints only its error document
  if [[ $RC != 0 && " $CMD " == *" --json "* ]]; then
    [[ $(jq -c '[.ok, (.error | keys)]' <<<"$OUT" 2>/dev/null) == '[false,["code","exit","hint","message"]]' ||
       $(jq -c '[.ok, (.error | keys)]' <<<"$OUT" 2>/dev/null) == '[false,["code","exit","hint","message","tries_left"]]' ]]
    _check $? "stdout is not only the error document"
  else
    [[ -z $OUT ]]
    _check $? "stdout is not empty"
  fi
}

assert_stderr_empty() {
  [[ -z $ERR ]]
  _check $? "stderr is not empty"
}

# assert_json FILTER EXPECTED: stdout is one JSON document and `jq -c FILTER` prints EXPECTED (strings
# without quotes: the comparison uses jq -r for strings).
assert_json() {
  local got
  if ! got=$([[ -s $T_CAPTURE/out ]] && jq empty "$T_CAPTURE/out" 2>&1 && jq -r -c "$1" "$T_CAPTURE/out" 2>&1); then
    T_CHECKS=$((T_CHECKS + 1))
    _fail "stdout is not JSON, or jq filter '$1' failed: $got"
    return
  fi
  [[ $got == "$2" ]]
  _check $? "jq '$1' gave '$got', expected '$2'"
}

# The error format of every failure: an error line, a hint line, nothing on stdout
# (docs/architecture.md#error-translator).
assert_error_with_hint() {
  if [[ " $CMD " == *" --json "* ]]; then  # the error is the command's one JSON document
    assert_json '[.ok, (.error.message | length > 0), (.error.hint | length > 0), .error.exit] | map(tostring) | join(" ")' \
      "false true true $RC"
  else
    assert_stdout_empty
  fi
  assert_stderr_matches '^cardctl: error: .+'
  assert_stderr_matches '^cardctl: hint: .+'
}

# snapshot DIR / assert_no_new_files DIR: the files below DIR are the same as at the snapshot.
snapshot() {
  find "$1" -mindepth 1 -printf '%P\n' | LC_ALL=C sort >"$T_CAPTURE/snapshot.$(echo "$1" | tr / _)"
}

assert_no_new_files() {
  local before=$T_CAPTURE/snapshot.$(echo "$1" | tr / _) extra
  extra=$(find "$1" -mindepth 1 -printf '%P\n' | LC_ALL=C sort | comm -13 "$before" -)
  [[ -z $extra ]]
  _check $? "files left behind in $1: $(echo $extra)"
}

# secret_file NAME CONTENT: CONTENT and a newline in a 0600 file under $T_ROOT/secrets; prints its path.
secret_file() {
  mkdir -p "$T_ROOT/secrets"
  printf '%s\n' "$2" >"$T_ROOT/secrets/$1"
  chmod 600 "$T_ROOT/secrets/$1"
  echo "$T_ROOT/secrets/$1"
}

# The test CA (a self-signed P-256 CA made with openssl, key 0600) that certifies the keys issuance generates;
# pass "${CA[@]}" to `cardctl issue`.
mkdir -p "$T_ROOT/ca"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 -subj "/CN=cardctl test CA" \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
  -keyout "$T_ROOT/ca/ca.key" -out "$T_ROOT/ca/ca.pem" 2>/dev/null || { echo "lib.sh: openssl could not make the test CA" >&2; exit 1; }
chmod 600 "$T_ROOT/ca/ca.key"
CA=(--ca-cert "$T_ROOT/ca/ca.pem" --ca-key "$T_ROOT/ca/ca.key")

# new_card NAME [cardsim create options]: a factory-fresh reference card; prints its path.
new_card() {
  local name=$1
  shift
  [[ -n $CARDSIM ]] || { echo "lib.sh: CARDSIM_BIN is not set" >&2; exit 1; }
  "$CARDSIM" create "$CARDS/$name" "$@" >/dev/null 2>"$T_CAPTURE/cardsim.err" ||
    { echo "lib.sh: cardsim create $name failed: $(cat "$T_CAPTURE/cardsim.err")" >&2; exit 1; }
  echo "$CARDS/$name"
}

finish() {
  if [[ $T_JSON_COUNT -gt 0 ]]; then
    local bad rc=0
    bad=$(python3 "${CARDCTL_SOURCE:?set CARDCTL_SOURCE to the source tree}/tests/cli/check_schemas.py" \
      "$CARDCTL_SOURCE/docs/schema" "$T_JSON") || rc=$?
    T_CHECKS=$((T_CHECKS + T_JSON_COUNT))
    # The checker itself failing (a crash, a missing module) is a failure too, never a silent pass.
    [[ $rc == 0 || -n $bad ]] || bad="FAIL: tests/cli/check_schemas.py exited with status $rc"
    if [[ -n $bad ]]; then
      T_FAILED=$((T_FAILED + $(grep -c '^FAIL' <<<"$bad")))
      echo "$bad" >&2
    fi
  fi
  echo "$T_CHECKS checks, $T_FAILED failed"
  [[ $T_FAILED -eq 0 ]]
  exit
}
