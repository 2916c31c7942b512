#!/usr/bin/env bash
# The cardctl walk-through on the built-in reference card (sim:), with no reader and no network: the whole
# offline-unblock story. A helpdesk installation and a factory-fresh card are made in a temporary directory;
# the card is issued, its holder blocks the PIN, reads the challenge to the helpdesk, gets the response back and
# sets a new PIN. Run it after building: examples/demo.sh (CARDCTL_BIN and CARDSIM_BIN override the binaries).
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
# Demo secrets come from files and variables; a real operator types them at a no-echo prompt.
export CARDCTL_HOME=$tmp/helpdesk CARDCTL_PASSPHRASE="demo keystore passphrase" CARDCTL_OPERATOR=demo-helpdesk
printf 'first-school: Elm Primary\nfirst-street: Oak Road\nfirst-concert: The Cure\n' >"$tmp/caller-answers"
printf '480213\n' >"$tmp/new-pin"
chmod 600 "$tmp/caller-answers" "$tmp/new-pin"

bold= plain=
if [[ -t 1 && -z ${NO_COLOR:-} ]]; then bold=$'\033[1m' plain=$'\033[0m'; fi
# step TITLE [into FILE] CMD...: shows the command and runs it (its output also saved in FILE).
step() {
  printf '\n%s## %s%s\n' "$bold" "$1" "$plain"
  shift
  local into=/dev/null
  if [[ $1 == into ]]; then into=$2; shift 2; fi
  printf '$ %s\n' "$*" | sed "s|$build/||g; s|$root/||g; s|$tmp/|\$DEMO/|g"
  "$@" | tee "$into"
}

step "The helpdesk creates its installation: keystore, inventory, audit trail, policy" \
  "$cardctl" init --policy "$root/examples/policy.toml"
step "A new reference card, as a YubiKey leaves the factory (PIN 123456, PUK 12345678, default admin key)" \
  "$cardsim" create "$card" --serial 12345678
step "The issuance operator's certificate authority (here a throw-away one made with openssl)" \
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 -subj "/CN=Example Issuing CA" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
    -keyout "$tmp/ca.key" -out "$tmp/ca.pem"
chmod 600 "$tmp/ca.key"
step "Issuance: per-card AES-192 admin key, random escrowed PUK, first PIN, keys generated on the card and certified, security answers enrolled" \
  bash -c 'printf "Elm Primary\nOak Road\nThe Cure\n" | "$0" issue --reader "sim:$1" --template staff --holder 1042 \
    --name "Alice Example" --email alice@example.com --answer first-school --answer first-street --answer first-concert \
    --ca-cert "$2/ca.pem" --ca-key "$2/ca.key"' "$cardctl" "$card" "$tmp"
printf '\n%s## The holder mistypes the PIN three times (raw VERIFY APDUs to the card)%s\n' "$bold" "$plain"
"$cardsim" apdu "$card" 0020008008303030303030FFFF 0020008008303030303030FFFF 0020008008303030303030FFFF
step "The card says so: no PIN try is spent to read it" \
  "$cardctl" status --reader "sim:$card"
step "On the laptop, offline: the challenge to read to the helpdesk (the card keeps it)" \
  into "$tmp/challenge.json" "$cardctl" challenge --reader "sim:$card" --detach --json
code=$(jq -r '.challenge + " " + .check' "$tmp/challenge.json")
step "The helpdesk checks the card, the policy and the caller's answers, and reads back the response" \
  into "$tmp/response.json" "$cardctl" respond --card 12345678 --challenge "$code" --answers-file "$tmp/caller-answers" --json
response=$(jq -r '.response + " " + .check' "$tmp/response.json")
step "The holder types the response and a new PIN: the card proves it and resets the PIN" \
  "$cardctl" unblock --reader "sim:$card" --response "$response" --pin-file "$tmp/new-pin"
step "The PIN works again" \
  "$cardctl" status --reader "sim:$card" --json
step "Every step is in the audit trail, chained and authenticated" \
  "$cardctl" audit show
step "... and the trail is intact" \
  "$cardctl" audit verify
