#!/usr/bin/env bash
# Raft figures beside etcd 3.4 (Debian etcd-server), same run, same disk:
# writes/s and p99 with 1 and 64 closed-loop clients on a 3-node cluster on
# 127.0.0.1, and leader failover (SIGKILL -> next committed write) p50/p99
# over 20 kills. One JSON object per figure on stdout; progress on stderr.
# Expects the release build in build/release (bench/run makes it). Bounded:
# about 4 minutes; every process it starts is killed by PID.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build="$root/build/release"
cmake --build "$build" --target raft_bench ckron_raft_driver >&2

etcd=$(command -v etcd || true)
if [[ -z "$etcd" ]]; then
  echo "raft/run.sh: etcd not installed (tools/setup.sh --bench); peer figures will be null" >&2
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/ckron-raft-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
timeout --kill-after=30 900 "$build/bench/raft/raft_bench" \
  --driver "$build/src/raft/ckron_raft_driver" --etcd "$etcd" --root "$work" \
  --measure-s "${RAFT_BENCH_MEASURE_S:-10}" --kills "${RAFT_BENCH_KILLS:-20}"
