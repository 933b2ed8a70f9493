#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan+UBSan: the "fuzz" preset) and runs
# each for a while. Seeds come from fuzz/seeds/<target>/ when present; the
# growing corpus is kept in build/fuzz/corpus/<target>/.
#
#   tools/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     (default 60 s, all)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
shift || true

tools/setup.sh
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz --target fuzzers -j "$(nproc)"

targets=("$@")
if ((${#targets[@]} == 0)); then
  mapfile -t targets < <(find build/fuzz -type f -perm -u+x -name '*_fuzzer' -printf '%f\n' | sort)
fi
for t in "${targets[@]}"; do
  bin=$(find build/fuzz -type f -name "$t" | head -1)
  corpus="build/fuzz/corpus/$t"
  mkdir -p "$corpus"
  seeds=()
  [[ -d "fuzz/seeds/$t" ]] && seeds=("fuzz/seeds/$t")
  echo "==> $t for ${secs}s"
  "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    "$corpus" "${seeds[@]}"
done
