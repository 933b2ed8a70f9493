#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: the release build
# (unit + integration + CLI tests), then the unit tests again under
# AddressSanitizer + UndefinedBehaviorSanitizer.
#
#   tools/test.sh            everything (what CI runs)
#   tools/test.sh --fast     release build only, no sanitizer pass
set -euo pipefail
cd "$(dirname "$0")/.."

fast=0
[[ "${1:-}" == "--fast" ]] && fast=1

tools/setup.sh
jobs=$(nproc)

step() { printf '\n==> %s\n' "$*"; }

step "release: configure + build"
cmake --preset release >/dev/null
cmake --build --preset release -j "$jobs"

step "release: tests"
ctest --preset release -j "$jobs" --timeout 600

if ((fast == 0)); then
  step "asan+ubsan: configure + build the unit tests"
  cmake --preset asan >/dev/null
  cmake --build --preset asan -j "$jobs" --target unit_tests
  step "asan+ubsan: unit tests"
  # Sanitized code runs ~10x slower: a lighter property-test load. Binaries
  # only integration tests use are not built in this pass.
  CKRON_CRON_PROPERTY_CASES=1500 ctest --preset asan -j "$jobs" -L unit -E '_NOT_BUILT$' --timeout 900
fi

step "all tests passed"
