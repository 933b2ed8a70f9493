#!/usr/bin/env bash
# Cron engine figures beside robfig/cron v3.0.1 (Dkron's parser), same run.
# Expects the release build in build/release (bench/run makes it).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out="$root/build/release/bench/cron"
cmake --build "$root/build/release" --target cron_bench >/dev/null

peer_file=""
if command -v go >/dev/null && [[ -d /usr/share/gocode/src/github.com/robfig/cron ]]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  cp "$root/bench/cron/robfig/main.go" "$root/bench/cron/robfig/go.mod" "$work/"
  (cd "$work" && GOFLAGS=-mod=mod GOPROXY=off GOCACHE="$work/cache" GOPATH="$work/gopath" \
     go build -o "$work/robfig_bench" . && "$work/robfig_bench" > "$work/peer.txt")
  peer_file="$work/peer.txt"
fi
"$out/cron_bench" --benchmark_min_time=0.2 ${peer_file:+--peer_file="$peer_file"}
