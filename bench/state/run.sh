#!/usr/bin/env bash
# The replicated state at 1,000,000 jobs: apply rate, RSS, snapshot size and
# times, restore time (one process, no network; see state_bench.cc).
# Expects the release build in build/release (bench/run makes it). Bounded:
# about 2 minutes.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build="$root/build/release"
cmake --build "$build" --target state_bench >&2
work=$(mktemp -d "${TMPDIR:-/tmp}/ckron-state-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
timeout --kill-after=10 600 "$build/bench/state/state_bench" --jobs "${STATE_BENCH_JOBS:-1000000}" --dir "$work"
# The fire path's apply cost: short histories (150 runs per job) and long
# ones (3,000 per job, pruned on every result). About 30 s.
for shape in "2000 300000" "100 300000"; do
  set -- $shape
  timeout --kill-after=10 300 "$build/bench/state/state_bench" --jobs "$1" --fires "$2" \
    --dir "$work/fires-$1" | grep '"fires applied'
done
