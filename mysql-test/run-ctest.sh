#!/usr/bin/env bash
# run-ctest.sh MODE BUILD_DIR [tests...] — the CTest face of run-mtr.sh.
#   MODE normal:   the suite as built
#   MODE valgrind: the suite with the server under valgrind
#   MODE asan:     builds the plugin with ASan+UBSan in BUILD_DIR/asan and runs
#                  the suite with libasan preloaded into the server
# Fails when any test fails, when MTR ran no test, and when a test was
# skipped (a skipped case never counts as passed).
#
# TP_MTR_SKIP: test names (space-separated) a lane skips on purpose (the
# lane script says why).  They are passed to MTR as --skip-test, and the
# summary names them as "skipped on purpose"; any other skip still fails.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mode=$1; build=$2; shift 2
log=$build/mtr-$mode.log
args=()
case "$mode" in
normal) ;;
valgrind)
  args+=("--valgrind=--show-reachable=no --keep-debuginfo=yes --suppressions=$here/tls_policy/valgrind.supp"
         --parallel=2 --testcase-timeout=60
         --mysqld=--loose-innodb-use-native-aio=0
         --mysqld=--loose-innodb-buffer-pool-size-max=256M)
  export TP_MTR_VARDIR=$build/mtr-var-valgrind ;;
asan)
  cmake -S "$here/.." -B "$build/asan" -DTP_ASAN=ON -DTP_MTR=OFF -DCMAKE_BUILD_TYPE=Debug \
    -DCMAKE_C_COMPILER="${CC:-gcc}" >/dev/null || exit 1
  cmake --build "$build/asan" --target tls_policy -j"$(nproc)" >/dev/null || exit 1
  asan=$(gcc -print-file-name=libasan.so)
  ubsan=$(gcc -print-file-name=libubsan.so)
  export TP_MTR_PLUGIN_SO=$build/asan/tls_policy.so TP_MTR_VARDIR=$build/mtr-var-asan
  # The server is not ASan-built: leak checks would report its own
  # allocations; errors in the plugin still abort the server and fail tests.
  args+=("--mysqld-env=LD_PRELOAD=$asan:$ubsan"
         "--mysqld-env=ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:allow_user_segv_handler=1:detect_odr_violation=0"
         "--mysqld-env=UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1") ;;
*) echo "run-ctest: unknown mode $mode" >&2; exit 2 ;;
esac
read -r -a skip <<<"${TP_MTR_SKIP:-}"
skip_re=
if [ "${#skip[@]}" -gt 0 ]; then
  skip_re="\.($(IFS='|'; echo "${skip[*]}")) "
  args+=("--skip-test=^(.*\\.)?($(IFS='|'; echo "${skip[*]}"))\$")
fi
bash "$here/run-mtr.sh" "$build" "${args[@]}" "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
passed=$(grep -cE '\[ pass \]' "$log")
failed=$(grep -cE '\[ (fail|retry-fail) \]' "$log")
skipped=$(grep -cE '\[ skipped \]' "$log")
on_purpose=0
[ -z "$skip_re" ] || on_purpose=$(grep -E '\[ skipped \]' "$log" | grep -cE "$skip_re")
echo "mtr ($mode): $passed passed, $failed failed, $skipped skipped ($on_purpose of them on purpose, not passed)"
if [ "$on_purpose" -gt 0 ]; then
  echo "run-ctest: skipped on purpose (TP_MTR_SKIP; NOT passed): ${skip[*]}"
fi
[ "$rc" = 0 ] || exit 1
[ "$passed" -gt 0 ] || { echo "run-ctest: MTR ran no test" >&2; exit 1; }
[ "$skipped" = "$on_purpose" ] || { echo "run-ctest: skipped tests do not count as passed" >&2; grep -E '\[ skipped \]' "$log" | grep -vE "${skip_re:-^$}" >&2; exit 1; }
exit 0
