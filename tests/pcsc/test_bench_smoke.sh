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
"$CARDCTL_SOURCE/bench/run.sh" --iterations 1 --batch-readers "1 2" --batch-size 3 --json "$out_dir/result.json" \
  >"$out_dir/table.md" || rc=$?
[[ $rc == 77 ]] && exit 77
[[ $rc == 0 ]] || fail "bench/run.sh exited $rc"
cat "$out_dir/table.md"
num='[0-9]+(\.[0-9]+)?'
for row in "status" "PUK unblock" "issuance \(P-256 \+ certificate in 9a\)" "batch of 3, 1 reader\(s\)" \
  "batch of 3, 2 reader\(s\)"; do
  grep -qE "^\| $row \| $num \| $num \| $num \| $num \| $num \| $num \|$" "$out_dir/table.md" || fail "no full row for '$row'"
done
grep -qE "^\| offline unblock \(detached\) \| $num \| $num \| - \| - \| - \| $num \|$" "$out_dir/table.md" ||
  fail "no row for the offline unblock"
grep -qE "^\| 2 \| $num \| $num \| $num \| $num \| $num \|$" "$out_dir/table.md" || fail "no scaling row for 2 readers"
grep -qE "^respond \(helpdesk, no card\): $num ms; by phase: .*keystore $num ms" "$out_dir/table.md" ||
  fail "no cost split of respond"
jq -e '
  (.flows | map(.flow)) == ["status", "puk_unblock", "offline_unblock", "issuance", "batch_1", "batch_2"] and
  all(.flows[]; (.cardctl.apdus | type) == "number" and .cardctl.apdus > 0 and (.cardctl.time_ms | type) == "number"
      and (.minimum_apdus | type) == "number" and .cardctl.apdus >= .minimum_apdus) and
  all(.flows[] | select(.flow | startswith("batch_") | not); .cardctl.apdus == .cardctl.cardctl_reported_apdus) and
  all(.flows[] | select(.flow != "offline_unblock"); .yubico_piv_tool.apdus > 0 and
      (.yubico_piv_tool.time_ms | type) == "number" and (.ratio | type) == "number") and
  (.flows[] | select(.flow == "offline_unblock") | .yubico_piv_tool == null) and
  (.respond.phases_ms | has("keystore") and has("audit") and has("answers") and has("inventory")) and
  (.batch | length) == 2' "$out_dir/result.json" >/dev/null ||
  fail "the JSON result is incomplete: $(cat "$out_dir/result.json")"
echo "bench smoke: ok"
