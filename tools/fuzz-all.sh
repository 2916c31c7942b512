#!/bin/sh
# Runs every libFuzzer target for N minutes each, one after the other (tests/fuzz/README.md).
#   tools/fuzz-all.sh N [TARGET...]   build the "fuzz" preset, fuzz each target (all by default) from a copy of
#                                     its seed corpus in a scratch directory; print execs, cov and ft per target;
#                                     exit 1 if any target crashed (artifacts and logs are kept and listed).
#   tools/fuzz-all.sh --record        rewrite the seed corpora in tests/fuzz/corpus from the reference card.
# Everything runs under nice -n 15 (the build machines are shared).
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)
bin=$root/build-fuzz/tests/fuzz

all=$(sed -n 's/^cardctl_fuzz_target(\([a-z_0-9]*\) .*/\1/p' tests/fuzz/CMakeLists.txt)
# Only the fuzz targets: the unit tests of the preset are not needed here.
nice -n 15 cmake --preset fuzz >/dev/null
nice -n 15 cmake --build --preset fuzz --target $all record_corpus

if [ "${1:-}" = "--record" ]; then
  exec nice -n 15 "$bin/record_corpus" "$root/tests/fuzz/corpus"
fi
minutes=${1:?usage: tools/fuzz-all.sh MINUTES [TARGET...] | --record}
shift
targets=${*:-$all}

scratch=$(mktemp -d "${TMPDIR:-/tmp}/cardctl-fuzz.XXXXXX")
echo "scratch directory: $scratch"
printf '%-16s %12s %8s %8s %8s  %s\n' target execs exec/s cov ft result
failed=0
for t in $targets; do
  mkdir -p "$scratch/$t"
  cp "$root/tests/fuzz/corpus/$t"/* "$scratch/$t/" 2>/dev/null || true
  log=$scratch/$t.log
  if nice -n 15 "$bin/$t" -max_total_time=$((minutes * 60)) -timeout=30 -rss_limit_mb=4096 -print_final_stats=1 \
       -artifact_prefix="$scratch/$t-" "$scratch/$t" >"$log" 2>&1; then
    result=ok
  else
    result="CRASH (see $log)"
    failed=1
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  printf '%-16s %12s %8s %8s %8s  %s\n' "$t" "${execs:--}" "${rate:--}" "${cov:--}" "${ft:--}" "$result"
done
[ "$failed" -eq 0 ] || { echo "crash artifacts:"; ls "$scratch"/*-crash-* "$scratch"/*-leak-* "$scratch"/*-timeout-* "$scratch"/*-oom-* 2>/dev/null || true; }
exit "$failed"
