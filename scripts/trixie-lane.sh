#!/usr/bin/env bash
# trixie-lane.sh — the Debian 13 lane: builds tls_policy against the
# distribution's MariaDB (11.8 on trixie) and runs the unit tests and the
# whole MTR suite.  Runs inside the root that scripts/debian13-root.sh
# makes (source at /tp/src, read-only; build at /tp/build, kept between
# runs); that script calls it when given no command.
#
# Tests that cannot pass on this series are listed in `skips` below, each
# with its reason; MTR reports them as skipped and run-ctest.sh names them
# as "skipped on purpose" in its summary: they never count as passed.
set -euo pipefail
{
src=${TP_SRC:-/tp/src}
build=${TP_BUILD:-/tp/build}
t0=$(date +%s)
mkdir -p "$build"
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTP_FUZZ=OFF \
  -DCMAKE_C_COMPILER=clang >"$build.cmake.log" 2>&1 || { cat "$build.cmake.log"; exit 1; }
grep 'Building against' "$build.cmake.log"
cmake --build "$build" -j"$(nproc)" >"$build.build.log" 2>&1 || { cat "$build.build.log"; exit 1; }
grep -i 'warning' "$build.build.log" || true
(cd "$build" && ctest -L unit --output-on-failure)
# The Debian package of this release (t64 library names, the exact 11.8 pin)
# and a load of it into a throwaway server.
(cd "$build" && ctest -L package -LE slow --output-on-failure)
echo "trixie-lane: build, unit and package tests took $(($(date +%s) - t0)) s"

# Known not to pass on 11.8, each with the reason and the measured failure
# (see docs/install.md); none at present.
skips=(
)
t1=$(date +%s)
rc=0
TP_MTR_SKIP="${skips[*]}" bash "$src/mysql-test/run-ctest.sh" normal "$build" \
  ${TP_TRIXIE_MTR_ARGS:-} || rc=$?
echo "trixie-lane: MTR suite took $(($(date +%s) - t1)) s (rc $rc)"
exit "$rc"
}
