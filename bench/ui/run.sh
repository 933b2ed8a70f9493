#!/usr/bin/env bash
# Web UI figures (issue #7): the bundle's size (raw and gzipped, what a
# browser downloads on a first visit) and the jobs page with 100,000 jobs
# (time to first render and to the next page, in Chromium against a real
# node). Expects the release build in build/release (bench/run makes it).
#   CKRON_UI_BENCH_JOBS=N   fewer jobs for a quick run
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
ui="$root/ui"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

[[ -d "$ui/node_modules" ]] || (cd "$ui" && npm ci --no-audit --no-fund --loglevel=error >&2)
(cd "$ui" && npm run --silent build -- --outDir "$work/dist" --emptyOutDir >&2)
raw=0
gz=0
for f in "$work"/dist/index.html "$work"/dist/assets/*.js "$work"/dist/assets/*.css; do
  raw=$((raw + $(stat -c %s "$f")))
  gz=$((gz + $(gzip -9 -c "$f" | wc -c)))
done
line() { printf '{"bench":"ui","metric":"%s","value":%s,"unit":"%s","peer":null,"peer_value":null}\n' "$1" "$2" "$3"; }
line bundle_bytes "$raw" bytes
line bundle_gzip_bytes "$gz" bytes

bin="$root/build/release/src/cli/ckron"
if [[ -x "$bin" && -x /usr/bin/chromium ]]; then
  node "$ui/e2e/bench.mjs" "$bin" "${CKRON_UI_BENCH_JOBS:-100000}"
else
  echo "bench/ui: no $bin or /usr/bin/chromium; jobs-page figures skipped" >&2
fi
