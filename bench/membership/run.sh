#!/usr/bin/env bash
# Gossip benchmarks; prints one JSON object per line (bench/run collects
# them), progress on stderr:
#   1. membership_convergence_bench: 1,000 simulated members (join and
#      failure reaching 99.99 %, bytes per node per second, false failures
#      under 20 % loss), ckron's lan profile beside memberlist's lan timings
#      in the same simulation, and beside Serf's convergence model;
#   2. membership_failure_bench: 5 ckron nodes vs 5 real `serf` agents on
#      127.0.0.1, SIGKILL one, time until every survivor marks it failed.
# Needs only bash, the release build and the `serf` package (tools/setup.sh).
#   MEMBERS=1000 SEED=1 KILLS=10 bench/membership/run.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD_DIR:-$root/build/release}
[[ -f "$build/build.ninja" ]] || (cd "$root" && cmake --preset release >/dev/null)
cmake --build "$build" -j "${JOBS:-2}" --target membership_convergence_bench membership_failure_bench \
  ckron_member_node >&2
"$build/bench/membership/membership_convergence_bench" --members "${MEMBERS:-1000}" --seed "${SEED:-1}"
"$build/bench/membership/membership_failure_bench" \
  --member-node "$build/tests/membership/ckron_member_node" --kills "${KILLS:-10}"
