#!/usr/bin/env bash
# Installs what is missing, builds ckron, and starts a single-node server
# with its data in ./data. Stop it with Ctrl-C (a graceful shutdown).
#
#   tools/run.sh [extra agent flags...]
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release --target ckron -j "$(nproc)"
mkdir -p data
exec build/release/src/cli/ckron agent --server --bootstrap-expect 1 \
  --node-name "$(hostname -s 2>/dev/null || echo ckron-1)" \
  --bind-addr 127.0.0.1:8946 --data-dir ./data "$@"
