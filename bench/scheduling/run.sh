#!/usr/bin/env bash
# Scheduling at scale on real `ckron agent` processes on 127.0.0.1 (issue
# #5; docs/benchmarks.md "Scheduling"): 1,000,000 registered jobs on 3
# servers (load time, RSS per server, a probe's trigger lag with none and
# with all of them), fires/s sustained with the noop executor on 3 servers
# + 2 agents with every fire checked exactly once, trigger lag per rate,
# and leader failover to the first fire over 10 kills. Dkron is not
# installable here: peer figures are null. One JSON object per figure on
# stdout; progress on stderr.
# Expects the release build in build/release (bench/run makes it). Bounded:
# each part has a timeout (about 25 minutes in all); every process it starts
# is killed by PID (raft/testing/process.h).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build="$root/build/release"
cmake --build "$build" --target scheduling_bench ckron >&2
bin="$build/bench/scheduling/scheduling_bench"
echo "scheduling/run.sh: machine load: $(uptime)" >&2
timeout --kill-after=30 900 "$bin" jobs --jobs "${SCHED_BENCH_JOBS:-1000000}"
timeout --kill-after=30 900 "$bin" rates --rates "${SCHED_BENCH_RATES:-250,500,1000,2000,4000,7000,10000}" \
  --window "${SCHED_BENCH_WINDOW_S:-30}"
timeout --kill-after=30 600 "$bin" failover --kills "${SCHED_BENCH_KILLS:-10}"
echo "scheduling/run.sh: machine load after: $(uptime)" >&2
