#!/usr/bin/env bash
# configure.sh BUILD_DIR — configures BUILD_DIR the one way scripts/demo.sh
# and scripts/test.sh both use (clang, RelWithDebInfo, fuzzers and the MTR
# suite registered), whatever configured it before.  A cache made with
# another compiler (e.g. a plain `cmake -B build`, which takes gcc) cannot
# be switched in place; it is dropped (CMakeCache.txt and CMakeFiles/ only:
# certificates, node modules and test results in BUILD_DIR stay).
# CC overrides the compiler (the fuzzers need clang).
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:?usage: configure.sh BUILD_DIR}
cc=${CC:-clang}
want=$(readlink -f "$(command -v "$cc" || echo "$cc")")
opts=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DTP_FUZZ=ON -DTP_MTR=ON -DCMAKE_C_COMPILER="$cc")
drop_cache() {
  echo "configure: $build was configured differently ($1); starting its CMake cache afresh" >&2
  rm -rf "$build/CMakeCache.txt" "$build/CMakeFiles"
}
if [ -f "$build/CMakeCache.txt" ]; then
  have=$(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' "$build/CMakeCache.txt")
  have=$(readlink -f "$have" 2>/dev/null || echo "$have")
  [ "$have" = "$want" ] || drop_cache "compiler ${have:-unset}, wanted $want"
fi
mkdir -p "$build"
log=$build.cmake.log
if ! cmake -S "$src" -B "$build" "${opts[@]}" >"$log" 2>&1; then
  drop_cache "cmake failed: $(grep -m1 -A1 'CMake Error' "$log" | tail -1 | sed 's/^ *//')"
  cmake -S "$src" -B "$build" "${opts[@]}" >"$log" 2>&1 || { cat "$log"; exit 1; }
fi
