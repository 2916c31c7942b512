#!/bin/bash
# The benchmark (bench/run.sh) once, without delays: every flow runs and the table has a number in each cell it
# should (yubico-piv-tool has no detached offline unblock). Not a measurement: only that the benchmark still works.
set -euo pipefail
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
out_dir=$(mktemp -d "${TMPDIR:-/tmp}/cardctl-bench-smoke.XXXXXX")
trap 'rm -rf "$out_dir"' EXIT
rc=0
"$CARDCTL_SOURCE/bench/run.sh" --iterations 1 --json "$out_dir/result.json" >"$out_dir/table.md" || rc=$?
[[ $rc == 77 ]] && exit 77
[[ $rc == 0 ]] || fail "bench/run.sh exited $rc"
cat "$out_dir/table.md"
num='[0-9]+(\.[0-9]+)?'
for row in "status" "PUK unblock" "issuance \(P-256 \+ certificate in 9a\)"; do
  grep -qE "^\| $row \| $num \| $num \| $num \| $num \| $num \|$" "$out_dir/table.md" || fail "no full row for '$row'"
done
grep -qE "^\| offline unblock \(detached\) \| $num \| $num \| - \| - \| - \|$" "$out_dir/table.md" ||
  fail "no row for the offline unblock"
[[ $(grep -c '^|' "$out_dir/table.md") == 6 ]] || fail "the table should have a header, a rule and 4 rows"
jq -e '
  (.flows | map(.flow)) == ["status", "puk_unblock", "offline_unblock", "issuance"] and
  all(.flows[]; (.cardctl.apdus | type) == "number" and .cardctl.apdus > 0 and (.cardctl.time_ms | type) == "number"
      and .cardctl.apdus == .cardctl.cardctl_reported_apdus) and
  all(.flows[] | select(.flow != "offline_unblock"); .yubico_piv_tool.apdus > 0 and
      (.yubico_piv_tool.time_ms | type) == "number" and (.ratio | type) == "number") and
  (.flows[] | select(.flow == "offline_unblock") | .yubico_piv_tool == null)' "$out_dir/result.json" >/dev/null ||
  fail "the JSON result is incomplete: $(cat "$out_dir/result.json")"
echo "bench smoke: ok"
