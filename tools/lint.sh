#!/usr/bin/env bash
# Static checks that the compiler does not make:
#   tools/lint.sh layering   every #include "<module>/..." in src/<m>/ names a
#                            module that <m> may depend on (docs/architecture.md)
#   tools/lint.sh headers    every header compiles on its own
#   tools/lint.sh format     clang-format reports no changes
#   tools/lint.sh            all of the above
set -euo pipefail
cd "$(dirname "$0")/.."

# Which modules each module may include. A stray header-only include would
# not fail to link, so this is the check that keeps the graph honest.
declare -A allowed=(
  [common]="common"
  [metrics]="common metrics"
  [cron]="common cron"
  [config]="common config cron"
  [membership]="common membership"
  [executor]="common executor"
  [agent]="common agent executor fsm membership rpc"
  [processor]="common fsm processor"
  [admission]="admission common executor fsm processor"
  [raft]="common raft"
  [fsm]="common cron fsm"
  [storage]="common fsm storage"
  [replica]="common fsm raft replica storage"
  [scheduler]="common cron fsm scheduler"
  [dispatcher]="common dispatcher fsm membership raft replica rpc scheduler"
  [rpc]="common fsm raft replica rpc"
  [api]="api common fsm metrics replica"
  [node]="*"
  [cli]="*"
)

layering() {
  local bad=0 modules
  modules=$(find src -mindepth 1 -maxdepth 1 -type d -printf '%f\n')
  for dir in src/*/; do
    local m
    m=$(basename "$dir")
    local ok="${allowed[$m]:-}"
    if [[ -z "$ok" ]]; then
      echo "lint: module src/$m has no entry in tools/lint.sh's layering table" >&2
      bad=1
      continue
    fi
    [[ "$ok" == "*" ]] && continue
    while IFS=: read -r file line inc; do
      local dep=${inc%%/*}
      grep -qx "$dep" <<<"$modules" || continue   # not a module (e.g. spdlog/)
      if ! grep -qw "$dep" <<<"$ok"; then
        echo "lint: $file:$line includes $dep/ but $m may only use: $ok" >&2
        bad=1
      fi
    done < <(grep -rnoP '^#include "\K[a-z_0-9]+/[^"]+' "$dir" || true)
  done
  return $bad
}

headers() {
  local bad=0 gen=()
  # Generated protobuf headers: from the build tree built most recently, so a
  # stale tree never hides (or invents) an error.
  local newest
  newest=$(ls -td build/*/proto 2>/dev/null | head -1 || true)
  [[ -n "$newest" ]] && gen+=(-I "$newest")
  while read -r h; do
    if ! g++ -std=c++20 -fsyntax-only -include utility -I src "${gen[@]}" -x c++ "$h" 2>/tmp/ckron_hdr.log; then
      echo "lint: $h does not compile on its own:" >&2
      head -5 /tmp/ckron_hdr.log >&2
      bad=1
    fi
  done < <(find src -name '*.h' | sort)
  return $bad
}

format() {
  local out
  out=$(find src bench tests -name '*.cc' -o -name '*.h' | xargs clang-format --dry-run 2>&1 | grep -c warning || true)
  if [[ "$out" != "0" ]]; then
    echo "lint: clang-format would change $out places (run: clang-format -i)" >&2
    return 1
  fi
}

case "${1:-all}" in
  layering) layering ;;
  headers) headers ;;
  format) format ;;
  all) layering && headers && format ;;
  *) echo "usage: tools/lint.sh [layering|headers|format]" >&2; exit 2 ;;
esac
