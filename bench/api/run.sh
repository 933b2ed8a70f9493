#!/usr/bin/env bash
# REST API figures with wrk (issue #6; docs/benchmarks_rest.md) on real
# `ckron agent --server` processes on 127.0.0.1:
#   - job upserts (POST /v1/jobs, a distinct job per request, 64 connections)
#     on a 3-server cluster, at the leader and through a follower (which
#     forwards each write to the leader), beside etcd 3.4's puts through its
#     JSON gateway (POST /v3/kv/put, 64 connections, the same wrk) on a
#     3-member etcd cluster, same disk, same run;
#   - GET /v1/jobs?_start=0&_end=25 with API_BENCH_JOBS (100,000) jobs
#     registered (loaded through the leader's API with wrk first).
# One JSON object per figure on stdout; progress on stderr.
# Expects the release build in build/release (bench/run makes it); set
# CKRON_BIN to use another binary. Bounded: every wrk run has a duration and
# a timeout, the whole script about 3 minutes plus the bulk load (100,000
# jobs at a few thousand per second); every process it starts is killed by
# PID on exit.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
if [[ -z "${CKRON_BIN:-}" ]]; then
  cmake --build "$root/build/release" --target ckron >&2
  CKRON_BIN="$root/build/release/src/cli/ckron"
fi
duration=${API_BENCH_DURATION_S:-15}
jobs=${API_BENCH_JOBS:-100000}
conns=${API_BENCH_CONNECTIONS:-64}
threads=2 # the machine has 2 cores
command -v wrk >/dev/null || { echo "api/run.sh: wrk not installed (tools/setup.sh --bench)" >&2; exit 1; }
etcd=$(command -v etcd || true)

work=$(mktemp -d "${TMPDIR:-/tmp}/ckron-api-bench.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
load() { echo "$(cut -d' ' -f1-3 /proc/loadavg)"; }
echo "api/run.sh: machine load (1/5/15 min): $(load)" >&2

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# JSON line; the peer value may be "null".
report() { # metric value unit peer peer_value
  printf '{"bench": "api", "metric": "%s", "value": %s, "unit": "%s", "peer": %s, "peer_value": %s}\n' \
    "$1" "$2" "$3" "$([[ -n "$4" ]] && echo "\"$4\"" || echo null)" "${5:-null}"
}

# wrk output -> "req_per_s p99_ms non2xx errors"
parse_wrk() {
  awk '
    /Requests\/sec:/ { rps = $2 }
    /^ +99%/ { v = $2; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 }
               else if (v ~ /ms$/) { sub(/ms$/, "", v) }
               else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 }
               p99 = v }
    /Non-2xx or 3xx responses:/ { bad = $5 }
    /Socket errors:/ { err = 0; for (i = 4; i <= NF; i += 2) { x = $i; sub(/,/, "", x); err += x } }
    END { printf "%s %s %d %d\n", rps, p99, bad, err }' "$1"
}

run_wrk() { # name url script [extra env...]; prints parse_wrk's line
  local name=$1 url=$2 script=$3
  timeout --kill-after=10 $((duration + 30)) \
    wrk -t"$threads" -c"$conns" -d"${duration}s" --timeout 5s --latency -s "$script" "$url" \
    >"$work/$name.wrk" 2>&1 || true
  echo "api/run.sh: $name: $(grep -E 'Requests/sec|99%|Non-2xx|Socket' "$work/$name.wrk" | tr -s ' ' | tr '\n' ';')" >&2
  parse_wrk "$work/$name.wrk"
}

# ---------------------------------------------------------------------------
# 3 ckron servers
declare -a http rpc_ports names
for i in 0 1 2; do
  names[i]="api$i"
  http[i]=$(free_port)
  gossip[i]=$(free_port)
  rpc_ports[i]=$(free_port)
  raft[i]=$(free_port)
done
for i in 0 1 2; do
  d="$work/${names[i]}"
  mkdir -p "$d"
  printf 'log-level: warn\n' >"$d.yml"
  join=()
  for j in 0 1 2; do [[ $j != "$i" ]] && join+=(--retry-join "127.0.0.1:${gossip[j]}" --retry-interval 1s); done
  "$CKRON_BIN" agent --server --bootstrap-expect 3 --config "$d.yml" --node-name "${names[i]}" \
    --bind-addr "127.0.0.1:${gossip[i]}" --rpc-port "${rpc_ports[i]}" --raft-port "${raft[i]}" \
    --http-addr "127.0.0.1:${http[i]}" --data-dir "$d" --profile local "${join[@]}" \
    >"$work/${names[i]}.log" 2>&1 &
  pids+=($!)
done

leader=""
for _ in $(seq 1 300); do
  name=$(curl -s -m 1 "http://127.0.0.1:${http[0]}/v1/leader" 2>/dev/null |
    python3 -c 'import json,sys; print(json.load(sys.stdin).get("Name",""))' 2>/dev/null || true)
  for i in 0 1 2; do [[ "$name" == "${names[i]}" ]] && leader=$i; done
  [[ -n "$leader" ]] && break
  sleep 0.1
done
if [[ -z "$leader" ]]; then
  echo "api/run.sh: no ckron leader within 30 s" >&2
  tail -n 20 "$work"/api*.log >&2
  exit 1
fi
follower=$(((leader + 1) % 3))
lurl="http://127.0.0.1:${http[leader]}"
furl="http://127.0.0.1:${http[follower]}"
echo "api/run.sh: leader ${names[leader]} ($lurl), follower ${names[follower]} ($furl)" >&2

# ---------------------------------------------------------------------------
# Upserts, 64 connections: leader, then a follower.
read -r up_l_rps up_l_p99 up_l_bad up_l_err < <(API_BENCH_PREFIX=lead run_wrk upsert_leader "$lurl" "$here/upsert.lua")
read -r up_f_rps up_f_p99 up_f_bad up_f_err < <(API_BENCH_PREFIX=fwd run_wrk upsert_follower "$furl" "$here/upsert.lua")
echo "api/run.sh: machine load after the upserts: $(load)" >&2

# ---------------------------------------------------------------------------
# etcd 3.4, 3 members, puts through the JSON gateway with the same wrk.
etcd_rps=null etcd_p99=null
if [[ -n "$etcd" ]]; then
  declare -a ec ep
  initial=""
  for i in 0 1 2; do
    ec[i]=$(free_port)
    ep[i]=$(free_port)
    initial+="${initial:+,}e$i=http://127.0.0.1:${ep[i]}"
  done
  for i in 0 1 2; do
    "$etcd" --name "e$i" --data-dir "$work/e$i" \
      --listen-client-urls "http://127.0.0.1:${ec[i]}" --advertise-client-urls "http://127.0.0.1:${ec[i]}" \
      --listen-peer-urls "http://127.0.0.1:${ep[i]}" --initial-advertise-peer-urls "http://127.0.0.1:${ep[i]}" \
      --initial-cluster "$initial" --initial-cluster-token ckron-api-bench --initial-cluster-state new \
      --logger zap --log-outputs stderr --log-level warn >"$work/e$i.log" 2>&1 &
    pids+=($!)
  done
  eleader=""
  for _ in $(seq 1 300); do
    for i in 0 1 2; do
      st=$(curl -s -m 1 -X POST -d '{}' "http://127.0.0.1:${ec[i]}/v3/maintenance/status" 2>/dev/null || true)
      python3 -c 'import json,sys; d=json.loads(sys.argv[1]); sys.exit(0 if d.get("leader") and d["leader"]==d["header"]["member_id"] else 1)' "$st" 2>/dev/null && eleader=$i
    done
    [[ -n "$eleader" ]] && break
    sleep 0.1
  done
  if [[ -n "$eleader" ]]; then
    read -r etcd_rps etcd_p99 etcd_bad etcd_err < <(run_wrk etcd_put "http://127.0.0.1:${ec[eleader]}" "$here/etcd_put.lua")
    [[ "$etcd_bad" != 0 || "$etcd_err" != 0 ]] && echo "api/run.sh: etcd: $etcd_bad non-2xx, $etcd_err socket errors" >&2
  else
    echo "api/run.sh: no etcd leader within 30 s; peer figures null" >&2
  fi
  # etcd is not needed any more: stop it so it does not share the cores.
  for p in "${pids[@]:3}"; do
    kill -9 "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
else
  echo "api/run.sh: etcd not installed (tools/setup.sh --bench); peer figures null" >&2
fi

report upserts_per_s_leader_64conns "$up_l_rps" "1/s" etcd_3.4_gateway_puts_64conns "$etcd_rps"
report upserts_p99_leader_64conns "$up_l_p99" ms etcd_3.4_gateway_puts_64conns "$etcd_p99"
report upserts_per_s_via_follower_64conns "$up_f_rps" "1/s" etcd_3.4_gateway_puts_64conns "$etcd_rps"
report upserts_p99_via_follower_64conns "$up_f_p99" ms etcd_3.4_gateway_puts_64conns "$etcd_p99"
report upserts_failed_responses $((up_l_bad + up_l_err + up_f_bad + up_f_err)) count "" ""

# ---------------------------------------------------------------------------
# GET /v1/jobs?_start=0&_end=25 with `jobs` jobs: top up to that many
# through the leader's API, then read from the leader and from a follower.
count_jobs() { # url -> X-Total-Count of GET /v1/jobs
  curl -s -m 5 -D - -o /dev/null "$1/v1/jobs?_start=0&_end=1" | tr -d '\r' |
    awk -F': ' 'tolower($1)=="x-total-count" {print $2}'
}
have=$(count_jobs "$lurl")
if ((${have:-0} < jobs)); then
  # wrk runs for its whole duration even when its threads stop, so it is
  # stopped here (by PID) once the leader counts enough jobs.
  start=$(date +%s.%N)
  from=${have:-0}
  API_BENCH_PREFIX=bulk wrk -t"$threads" -c"$conns" -d600s --timeout 5s \
    -s "$here/upsert.lua" "$lurl" >"$work/bulk.wrk" 2>&1 &
  bulk=$!
  pids+=("$bulk")
  for _ in $(seq 1 1200); do
    sleep 0.5
    have=$(count_jobs "$lurl")
    ((${have:-0} >= jobs)) && break
    kill -0 "$bulk" 2>/dev/null || break
  done
  kill "$bulk" 2>/dev/null || true
  wait "$bulk" 2>/dev/null || true
  secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
  echo "api/run.sh: loaded $((have - from)) jobs in $secs s" >&2
  report bulk_load_jobs_per_s_leader_64conns "$(awk -v n="$((have - from))" -v s="$secs" 'BEGIN {printf "%.0f", n / s}')" "1/s" "" ""
fi
for _ in $(seq 1 100); do
  have=$(count_jobs "$furl")
  ((${have:-0} >= jobs)) && break
  sleep 0.2
done
echo "api/run.sh: $have jobs registered (follower's view); machine load: $(load)" >&2
printf 'wrk.method = "GET"\n' >"$work/get.lua"
read -r get_l_rps get_l_p99 _ _ < <(run_wrk list_leader "$lurl/v1/jobs?_start=0&_end=25" "$work/get.lua")
read -r get_f_rps get_f_p99 _ _ < <(run_wrk list_follower "$furl/v1/jobs?_start=0&_end=25" "$work/get.lua")
report list_jobs_registered "${have:-0}" count "" ""
report list_jobs_page25_per_s_leader "$get_l_rps" "1/s" "" ""
report list_jobs_page25_p99_leader "$get_l_p99" ms "" ""
report list_jobs_page25_per_s_follower "$get_f_rps" "1/s" "" ""
report list_jobs_page25_p99_follower "$get_f_p99" ms "" ""
echo "api/run.sh: machine load after: $(load)" >&2
