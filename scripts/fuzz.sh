#!/usr/bin/env bash
# Builds and runs every libFuzzer target (aviary-fuzz-*) of BUILD_DIR (configured with clang and
# -DAVIARY_FUZZ=ON, as `make fuzz` does) for SECONDS each, from its seeds in tests/fuzz/corpus/<name>/ into a
# scratch corpus (the seeds in the repository are not touched). A crash stops the run; libFuzzer writes the
# input to BUILD_DIR/fuzz-findings/; keep it as a seed of that target once fixed.
#
# Usage: fuzz.sh BUILD_DIR SECONDS
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$1
seconds=$2
mapfile -t targets < <(cmake --build "$build" --target help | sed -n 's/^\(aviary-fuzz-[a-z_]*\): .*/\1/p')
[[ ${#targets[@]} -gt 0 ]] || { echo "fuzz: no aviary-fuzz-* targets in $build (clang and -DAVIARY_FUZZ=ON?)" >&2; exit 1; }
cmake --build "$build" --target "${targets[@]}"
mkdir -p "$build/fuzz-findings"
for target in "${targets[@]}"; do
  name=${target#aviary-fuzz-}
  corpus="$build/fuzz-corpus/$name"
  mkdir -p "$corpus"
  echo "fuzz: $name for $seconds s"
  "$build/tests/$target" -max_total_time="$seconds" -print_final_stats=1 \
    -artifact_prefix="$build/fuzz-findings/$name-" "$corpus" "$root/tests/fuzz/corpus/$name" 2>&1 |
    grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|==[0-9]+==ERROR|SUMMARY)' || true
  if compgen -G "$build/fuzz-findings/$name-*" > /dev/null; then
    echo "fuzz: $name found a crash: $(ls "$build/fuzz-findings/$name-"*)" >&2
    exit 1
  fi
done
echo "fuzz: ${#targets[@]} targets, $seconds s each, no finding"
