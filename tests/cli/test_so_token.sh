#!/usr/bin/env bash
# The System Owner token (cardctl-init(1) SO TOKEN, cardctl-so-unblock(1)): init --so-token shows the SO unblock
# key once and writes nothing unless it is typed back exactly; the token's PUK is blocked and its admin key is the
# SO key; so-unblock refuses a wrong key without changing the token, and with the right one sets a new PIN;
# both are audited, and a token is never issued twice.
. "$(dirname "$0")/lib.sh"

export CARDCTL_HOME=$T_ROOT/site CARDCTL_PASSPHRASE="test passphrase 1" CARDCTL_OPERATOR=owner
POLICY=$CARDCTL_SOURCE/examples/policy.toml
SOPIN=$(secret_file sopin 'Sx9!kq2')
NEWPIN=$(secret_file newpin 'Tq8#mw4z')
trap '' PIPE  # a cardctl that exits early must not take the test with it

. "$CARDCTL_SOURCE/tests/support/check_of.sh"

# other_key CARD_ID CODE: a different key of the same length whose check matches CARD_ID.
other_key() {
  local hex=${2// /} first
  first=${hex:0:1}
  [[ $first == 0 ]] && first=1 || first=0
  hex=$first${hex:1}
  echo "$hex $(check_of "$1" "$hex")"
}

# so_token_init HOW CARD [ARGS...]: `cardctl init --so-token --json` on CARD; the key it shows (on stderr: the one
# JSON document on stdout is the outcome) is typed back on stdin: as shown (right), with its first digit changed
# (typo), or another key with a matching check (other). Sets RC, OUT, ERR like run, and KEY (the code and check
# shown) and SO_ID.
so_token_init() {
  local how=$1 card=$2 fifo_in=$T_ROOT/so.in fifo_err=$T_ROOT/so.err line shown= w r pid typed
  shift 2
  CMD="cardctl init --so-token --reader sim:$card --json $* (the key typed back: $how)"
  rm -f "$fifo_in" "$fifo_err"
  mkfifo "$fifo_in" "$fifo_err"
  "$CARDCTL" init --so-token --reader "sim:$card" --json "$@" <"$fifo_in" >"$T_CAPTURE/out" 2>"$fifo_err" &
  pid=$!
  exec {w}>"$fifo_in" {r}<"$fifo_err"
  while IFS= read -r line <&"$r"; do
    shown+=$line$'\n'
    [[ $line == Check:* || $line == cardctl:\ error:* ]] && break
  done
  KEY="$(sed -n 's/^SO unblock key: *//p' <<<"$shown") $(sed -n 's/^Check: *//p' <<<"$shown")"
  SO_ID=$(sed -n 's/^SO token: *//p' <<<"$shown")
  if [[ -n $SO_ID && $KEY != " " ]]; then
    case $how in
      right) typed=$KEY ;;
      typo) typed=$([[ ${KEY:0:1} == 0 ]] && echo 1 || echo 0)${KEY:1} ;;
      other) typed=$(other_key "$SO_ID" "${KEY% *}") ;;
    esac
    echo "$typed" >&"$w"
  fi
  exec {w}>&-
  { printf '%s' "$shown"; cat <&"$r"; } >"$T_CAPTURE/err"
  exec {r}<&-
  wait "$pid"
  RC=$?
  OUT=$(cat "$T_CAPTURE/out")
  ERR=$(cat "$T_CAPTURE/err")
}

block_pin() { "$CARDSIM" apdu "$1" 0020008008303030303030FFFF 0020008008303030303030FFFF 0020008008303030303030FFFF >/dev/null; }

card=$(new_card so.sim --serial 93001)
cp "$card" "$T_ROOT/factory.sim"

# --dry-run without an installation: the steps; no installation, the card untouched
run "$CARDCTL" init --so-token --reader "sim:$card" --policy "$POLICY" --dry-run
assert_exit 0
assert_stdout_contains "create the installation in $CARDCTL_HOME"
assert_stdout_contains "set the admin key to the SO unblock key (AES-256)"
[[ ! -e $CARDCTL_HOME ]]
_check $? "--dry-run created the installation"
cmp -s "$card" "$T_ROOT/factory.sim"
_check $? "--dry-run changed the card"

# the key typed back wrong: nothing written, no installation created
so_token_init typo "$card" --policy "$POLICY" --scrypt-n 1024 --pin-file "$SOPIN"
assert_exit 2
assert_stderr_contains "nothing was written to the card"
assert_stderr_matches '^cardctl: hint: start again'
[[ ${#KEY} == 84 ]]  # 64 hex digits in groups of four, then the check
_check $? "the AES-256 key shown is not 16 groups and a check: '$KEY'"
[[ $SO_ID == 93001 ]]
_check $? "the key is not bound to card 93001: '$SO_ID'"
cmp -s "$card" "$T_ROOT/factory.sim"
_check $? "a key typed back wrong changed the card"
[[ ! -e $CARDCTL_HOME/keystore ]]
_check $? "a key typed back wrong created the installation"
so_token_init other "$card" --policy "$POLICY" --scrypt-n 1024 --pin-file "$SOPIN"
assert_exit 2
assert_stderr_contains "the SO unblock key typed back is not the one shown"
cmp -s "$card" "$T_ROOT/factory.sim"
_check $? "another key typed back changed the card"

# typed back right: the installation is created and the token issued
so_token_init right "$card" --policy "$POLICY" --scrypt-n 1024 --pin-file "$SOPIN"
assert_exit 0
assert_json '[.ok, .card_id, .algorithm, .installation_created] | map(tostring) | join(" ")' "true 93001 aes256 true"
SOKEY=$(secret_file sokey "$KEY")
run "$CARDCTL" status --reader "sim:$card" --json
assert_json '[.management_key.algorithm, .management_key.default, .puk.blocked, .pin.remaining] | map(tostring) | join(" ")' \
  "aes256 false true 3"
run "$CARDCTL" pin verify --reader "sim:$card" --pin-file "$SOPIN"
assert_exit 0

# a token is issued once: the second init --so-token is refused, the card unchanged
cp "$card" "$T_ROOT/token.sim"
run "$CARDCTL" init --so-token --reader "sim:$card" --pin-file "$SOPIN"
assert_exit 9
assert_error_with_hint
assert_stderr_contains "card 93001 is not in its factory state"
cmp -s "$card" "$T_ROOT/token.sim"
_check $? "a refused second init --so-token changed the token"

# the PIN blocked; a wrong key (its check matches): refused by the token, nothing else sent, token unchanged
block_pin "$card"
cp "$card" "$T_ROOT/blocked.sim"
WRONG=$(secret_file wrong "$(other_key 93001 "${KEY% *}")")
run "$CARDCTL" so-unblock --reader "sim:$card" --so-key-file "$WRONG" --pin-file "$NEWPIN"
assert_exit 4
assert_stderr_contains "the token refused the SO unblock key"
assert_stderr_matches '^cardctl: hint: .+'
assert_stdout_contains "Challenge:"
cmp -s "$card" "$T_ROOT/blocked.sim"
_check $? "a refused SO key changed the token"
run "$CARDCTL" status --reader "sim:$card" --json
assert_json .pin.blocked true
# a mistyped key fails its check: nothing sent
TYPO=$(secret_file typo "$([[ ${KEY:0:1} == 0 ]] && echo 1 || echo 0)${KEY:1}")
run "$CARDCTL" so-unblock --reader "sim:$card" --so-key-file "$TYPO" --pin-file "$NEWPIN"
assert_exit 2
assert_stderr_contains "check"
cmp -s "$card" "$T_ROOT/blocked.sim"
_check $? "a mistyped SO key changed the token"

# the right key: a new PIN that verifies
run "$CARDCTL" so-unblock --reader "sim:$card" --so-key-file "$SOKEY" --pin-file "$NEWPIN" --json
assert_exit 0
assert_json 'select(.ok) | [.card_id, .unblocked, .audited] | map(tostring) | join(" ")' "93001 true true"
run "$CARDCTL" pin verify --reader "sim:$card" --pin-file "$NEWPIN"
assert_exit 0

# a helpdesk operator may not
run "$CARDCTL" operator add desk --role helpdesk
assert_exit 0
block_pin "$card"
CARDCTL_OPERATOR=desk run "$CARDCTL" so-unblock --reader "sim:$card" --so-key-file "$SOKEY" --pin-file "$NEWPIN"
assert_exit 6
assert_stderr_contains "may not run so-unblock"

# no installation reachable: works offline and says nothing was audited
CARDCTL_HOME=$T_ROOT/nowhere run_with_stdin "$KEY" "$CARDCTL" so-unblock --reader "sim:$card" --pin-file "$SOPIN"
assert_exit 0
assert_stderr_contains "nothing was audited"
assert_stdout_contains "SO token:"
run "$CARDCTL" pin verify --reader "sim:$card" --pin-file "$SOPIN"
assert_exit 0

# the audit trail: intact, so-token issued (algorithm, never the key), one failed and one good so-unblock
run "$CARDCTL" audit verify --json
assert_json .ok true
run "$CARDCTL" audit show --card 93001 --json
assert_json '[.entries[] | select(.action == "so-token") | .outcome] | join(" ")' "issued"
assert_json '[.entries[] | select(.action == "so-unblock") | .outcome] | join(" ")' "failed ok"
assert_stdout_not_contains "${KEY:0:14}"
grep '"action":"so-token"' "$CARDCTL_HOME/audit.log" | grep -q '"algorithm":"aes256"'
_check $? "the so-token entry does not record the algorithm"
hex=${KEY% *}
hex=${hex// /}
! grep -rqi -e "$hex" -e "${KEY% *}" "$CARDCTL_HOME"
_check $? "the SO unblock key is stored in the installation"

# a card that cannot reset its PIN with the admin key is refused, unchanged
noreset=$(new_card noreset.sim --serial 93002 --no-admin-pin-reset)
cp "$noreset" "$T_ROOT/noreset.before"
so_token_init right "$noreset" --pin-file "$SOPIN"
assert_exit 3
assert_stderr_contains "does not allow its PIN to be reset with the admin key"
cmp -s "$noreset" "$T_ROOT/noreset.before"
_check $? "a refused card was changed"

# older firmware: a TDES key; a card without serial: a new CHUID and its GUID as the card id
old=$(new_card old.sim --version 5.2.7)
so_token_init right "$old" --pin-file "$SOPIN"
assert_exit 0
assert_json '[.ok, .algorithm] | map(tostring) | join(" ")' "true tdes"
[[ ${#KEY} == 64 && $SO_ID =~ ^[0-9a-f]{32}$ ]]
_check $? "a TDES key is 12 groups and a check, the id a GUID: '$KEY' '$SO_ID'"
OLDKEY=$(secret_file oldkey "$KEY")
block_pin "$old"
run "$CARDCTL" so-unblock --reader "sim:$old" --so-key-file "$OLDKEY" --pin-file "$NEWPIN"
assert_exit 0
run "$CARDCTL" pin verify --reader "sim:$old" --pin-file "$NEWPIN"
assert_exit 0

finish
