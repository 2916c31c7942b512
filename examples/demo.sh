#!/usr/bin/env bash
# The cardctl walk-through on the built-in reference card (sim:), with no reader and no network: the whole
# offline-unblock story. A helpdesk installation and a factory-fresh card are made in a temporary directory;
# the card is issued, its holder blocks the PIN, reads the challenge to the helpdesk, gets the response back and
# sets a new PIN. Run it after building: examples/demo.sh (CARDCTL_BIN and CARDSIM_BIN override the binaries).
#
# Every command is shown as a person types it, quoted so it can be pasted into a shell in the checkout, with
# cardctl and cardsim on PATH (cmake --install build --prefix ~/.local) and $DEMO the demo's directory.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${CARDCTL_BUILD_DIR:-$root/build}
cardctl=${CARDCTL_BIN:-$build/cardctl}
cardsim=${CARDSIM_BIN:-$build/tools/cardsim/cardsim}
for bin in "$cardctl" "$cardsim"; do
  [[ -x $bin ]] || { echo "demo: $bin not found; build first: cmake --preset default && cmake --build --preset default" >&2; exit 1; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cardctl-demo.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
card=$tmp/card.sim

bold= plain=
if [[ -t 1 && -z ${NO_COLOR:-} ]]; then bold=$'\033[1m' plain=$'\033[0m'; fi

# quote ARG: ARG as a person types it. The binaries by name, files in the checkout relative to it, files in the
# demo's directory as "$DEMO/…"; anything else as it is when it is plain, else in single quotes.
quote() {
  local a=$1
  if [[ $a == "$cardctl" ]]; then printf 'cardctl'; return; fi
  if [[ $a == "$cardsim" ]]; then printf 'cardsim'; return; fi
  if [[ $a == "$root"/* ]]; then a=${a#"$root"/}; fi
  if [[ $a == *"$tmp"/* && ${a//"$tmp"/} =~ ^[A-Za-z0-9._/:=,@+-]*$ ]]; then
    printf '"%s"' "${a//"$tmp"/\$DEMO}"
  elif [[ $a =~ ^[A-Za-z0-9._/:=,@+%-]+$ ]]; then
    printf '%s' "$a"
  else
    printf "'%s'" "${a//\'/\'\\\'\'}"
  fi
}

title() { printf '\n%s## %s%s\n' "$bold" "$1" "$plain"; }
show() { printf '$ %s\n' "$1"; }   # show LINE: a command line, as written

# step TITLE [into FILE] [typed FILE NOTE] CMD...: shows the command and runs it (its output also saved in FILE).
# With typed, what the person types at the prompts (NOTE, shown as a comment) comes from FILE.
step() {
  title "$1"
  shift
  local into=/dev/null input=/dev/null note= line= arg
  if [[ $1 == into ]]; then into=$2; shift 2; fi
  if [[ $1 == typed ]]; then input=$2 note=$3; shift 3; fi
  for arg in "$@"; do line+="${line:+ }$(quote "$arg")"; done
  show "$line${note:+   # $note}"
  "$@" <"$input" | tee "$into"
}

title "The demo's setting: a scratch directory holds the helpdesk's installation and the card file"
show 'DEMO=$(mktemp -d)'
show 'export CARDCTL_HOME="$DEMO/helpdesk" CARDCTL_OPERATOR=demo-helpdesk CARDCTL_READER="sim:$DEMO/card.sim"'
show "export CARDCTL_PASSPHRASE='demo keystore passphrase'   # a real operator types it at the no-echo prompt"
export CARDCTL_HOME=$tmp/helpdesk CARDCTL_OPERATOR=demo-helpdesk CARDCTL_READER=sim:$card
export CARDCTL_PASSPHRASE="demo keystore passphrase"

step "The helpdesk creates its installation: keystore, inventory, audit trail, policy" \
  "$cardctl" init --policy "$root/examples/policy.toml"
step "A new reference card, as a YubiKey leaves the factory (PIN 123456, PUK 12345678, default admin key)" \
  "$cardsim" create "$card" --serial 12345678
step "The issuance operator's certificate authority (here a throw-away one made with openssl)" \
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 -subj "/CN=Example Issuing CA" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
    -keyout "$tmp/ca.key" -out "$tmp/ca.pem"
step "... its key readable only by its owner" \
  chmod 600 "$tmp/ca.key"
printf 'Elm Primary\nOak Road\nThe Cure\n' >"$tmp/holder-answers"
step "Issuance: per-card AES-192 admin key, random escrowed PUK, first PIN, keys generated on the card and certified, security answers enrolled" \
  typed "$tmp/holder-answers" "the holder types the three answers at the prompts: Elm Primary, Oak Road, The Cure" \
  "$cardctl" issue --template staff --holder 1042 --name "Alice Example" --email alice@example.com \
    --answer first-school --answer first-street --answer first-concert --ca-cert "$tmp/ca.pem" --ca-key "$tmp/ca.key"
step "The holder mistypes the PIN three times (raw VERIFY APDUs to the card, PIN 000000)" \
  "$cardsim" apdu "$card" 0020008008303030303030FFFF 0020008008303030303030FFFF 0020008008303030303030FFFF
step "The card says so: no PIN try is spent to read it" \
  "$cardctl" status
step "On the laptop, offline: the challenge to read to the helpdesk (the card keeps it)" \
  into "$tmp/challenge.json" "$cardctl" challenge --detach --json
code=$(jq -r '.challenge + " " + .check' "$tmp/challenge.json")

title "The helpdesk has the caller's answers to the security questions (here in a file; respond asks for them without one)"
show "printf 'first-school: Elm Primary\\nfirst-street: Oak Road\\nfirst-concert: The Cure\\n' >\"\$DEMO/caller-answers\""
printf 'first-school: Elm Primary\nfirst-street: Oak Road\nfirst-concert: The Cure\n' >"$tmp/caller-answers"
show 'chmod 600 "$DEMO/caller-answers"   # a file holding secrets must be readable only by its owner'
chmod 600 "$tmp/caller-answers"
step "The helpdesk checks the card, the policy and the caller's answers, and reads back the response" \
  into "$tmp/response.json" "$cardctl" respond --card 12345678 --challenge "$code" --answers-file "$tmp/caller-answers" --json
response=$(jq -r '.response + " " + .check' "$tmp/response.json")
printf '480213\n' >"$tmp/new-pin"
step "The holder types the response and a new PIN: the card proves it and resets the PIN" \
  typed "$tmp/new-pin" "then the new PIN, twice, at the no-echo prompt" \
  "$cardctl" unblock --response "$response"
step "The PIN works again" \
  "$cardctl" status --json
step "Every step is in the audit trail, chained and authenticated" \
  "$cardctl" audit show
step "... and the trail is intact" \
  "$cardctl" audit verify
