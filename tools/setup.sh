#!/usr/bin/env bash
# Installs every Debian 12 package ckron needs to build, test and benchmark.
# Idempotent: installs only what is missing, runs `apt-get update` at most
# once, and does nothing at all when everything is present.
#
#   tools/setup.sh            build + test dependencies
#   tools/setup.sh --bench    also the benchmark peers (Go + robfig/cron, etcd)
#
# Runs as root (or through sudo). See ../shared/reference/deps.md for why each
# library was chosen and the gotchas found with it.
set -euo pipefail

# Libraries and tools the build needs.
build=(
  g++ cmake ninja-build pkg-config git ca-certificates
  libabsl-dev tzdata              # time zones (cctz) + the zone database
  libspdlog-dev libfmt-dev        # logging
  libcli11-dev libyaml-cpp-dev    # CLI flags, config files
  nlohmann-json3-dev              # JSON
  libssl-dev                      # keys, TLS
  libraft-dev libuv1-dev          # Raft (canonical raft 0.15) and its loop
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
  libboost-dev                    # Beast/Asio (HTTP, networking)
  libcurl4-openssl-dev            # http executor, notifications
  libre2-dev                      # http executor expectBody (Go regexp syntax)
  prometheus-cpp-dev              # metrics registry and Prometheus text format
  librocksdb-dev                  # embedded store for replicated data
  libjemalloc-dev                 # the ckron binary's allocator
  libgtest-dev libgmock-dev libbenchmark-dev
)
# Real peers and tools the tests start.
test=(
  serf                            # gossip interop peer (HashiCorp Serf 0.9.4)
  clang libclang-rt-14-dev        # TSan/libFuzzer presets
  iproute2 nftables               # network namespaces + packet loss tests
  procps psmisc                   # pgrep/pkill/fuser for process tests
  nodejs chromium                 # web UI: build (npm) and browser tests (docs/ui.md)
)
# Peers the benchmarks compare against.
bench=(
  golang-go golang-github-robfig-cron-dev   # robfig/cron v3.0.1, Dkron's parser
  etcd-server etcd-client                   # Raft write-rate peer
  wrk                                       # REST API load (bench/api)
)

want=("${build[@]}" "${test[@]}")
if [[ "${1:-}" == "--bench" ]]; then
  want+=("${bench[@]}")
fi

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

# npm ships inside NodeSource's nodejs (which conflicts with Debian's npm
# package): ask for Debian's only when no npm is on the PATH.
if ! command -v npm >/dev/null; then
  missing+=(npm)
fi

if ((${#missing[@]} == 0)); then
  echo "setup: all ${#want[@]} packages present"
  exit 0
fi

SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "setup: run as root (missing: ${missing[*]})" >&2; exit 1; }
  SUDO=(sudo)
fi

echo "setup: installing ${#missing[@]} packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -q
"${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "setup: done"
