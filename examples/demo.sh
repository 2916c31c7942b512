#!/usr/bin/env bash
# The cardctl walk-through on the built-in reference card (sim:), with no reader and no network: a
# factory-fresh card is created in a temporary directory, and cardctl shows it as text and as JSON.
# Run it after building: examples/demo.sh (CARDCTL_BIN and CARDSIM_BIN override where the binaries are).
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

step() {
  printf '\n%s## %s%s\n' "$bold" "$1" "$plain"
  shift
  printf '$ %s\n' "$*" | sed "s|$build/||g; s|$tmp/|\$DEMO/|g"
  "$@"
}

step "A new reference card, as a YubiKey leaves the factory (PIN 123456, PUK 12345678, default admin key)" \
  "$cardsim" create "$card" --serial 12345678
step "What cardctl sees on it: no PIN try is spent" \
  "$cardctl" status --reader "sim:$card"
step "The same for scripts" \
  "$cardctl" status --reader "sim:$card" --json
