#!/usr/bin/env bash
# Gossip benchmarks; prints one JSON object per line (bench/run collects them).
# Assumes build/release exists; builds only our targets in it.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD_DIR:-$root/build/release}
cmake --build "$build" -j2 --target membership_convergence_bench ckron_member_node >/dev/null
"$build/bench/membership/membership_convergence_bench" --members "${MEMBERS:-1000}" --seed "${SEED:-1}"
"$root/bench/membership/failure_detection.py" "$build/tests/membership/ckron_member_node" "${KILLS:-10}"
