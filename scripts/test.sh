#!/usr/bin/env bash
# test.sh — installs what is missing, builds, and runs every test:
# unit tests (g_test), the fuzz targets for a bounded time, and the
# mysql-test-run suite, all through CTest.  .ci/run runs exactly this.
#
#   scripts/test.sh            # everything CI runs
#   TP_CTEST_ARGS="-L unit" scripts/test.sh   # a subset (CTest labels: unit fuzz mtr ...)
#
# The Debian 13 lane (label debian13) is not part of the default run: .ci/run
# runs it after this script (cd build && ctest -L debian13).
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${TP_BUILD_DIR:-$src/build}
bash "$src/scripts/install-deps.sh"
bash "$src/scripts/configure.sh" "$build"
cmake --build "$build" -j"$(nproc)"
cd "$build"
# shellcheck disable=SC2086
ctest --output-on-failure ${TP_CTEST_ARGS:--LE 'slow|debian13'}
