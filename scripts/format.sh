#!/usr/bin/env bash
# format.sh — the project's one formatter: clang-format (.clang-format at the
# top) on every C source and header of the plugin, the core, the tests, the
# fuzzers, the benchmarks and the test clients.
#   scripts/format.sh          # rewrite in place
#   scripts/format.sh --check  # list the files that differ, exit 1 if any
set -euo pipefail
cd "$(dirname "$0")/.."
fmt=$(command -v clang-format || command -v clang-format-14 || command -v clang-format-19) ||
  { echo "format.sh: clang-format is not installed (apt-get install clang-format)" >&2; exit 2; }
mapfile -t files < <(git ls-files 'core/*.c' 'core/*.h' 'plugin/*.c' 'plugin/*.h' 'include/*.h' 'tests/*.c' \
  'fuzz/*.c' 'bench/*.c' 'bench/*.h' 'mysql-test/*.c')
if [ "${1:-}" = --check ]; then
  bad=0
  for f in "${files[@]}"; do
    if ! "$fmt" "$f" | cmp -s - "$f"; then echo "$f"; bad=1; fi
  done
  exit $bad
fi
"$fmt" -i "${files[@]}"
