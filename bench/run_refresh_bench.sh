#!/usr/bin/env bash
# run_refresh_bench.sh — time to load a large mysql.tls_policy and login
# latency meanwhile (bench/refresh_bench.c), on a throwaway server on
# 127.0.0.1:$TP_PORT (default 14040) in $DIR (default /tmp/bench-refresh).
#
#   bench/run_refresh_bench.sh [refresh_bench options, e.g. --rules 100000 --kind tls]
#
# Results: $TP_BENCH_OUT (default /tmp/bench-results)/refresh_bench-<UTC time>.txt.
set -euo pipefail
source "$(dirname "$0")/common.sh"
TP_PORT=${TP_PORT:-14040}
dir=${DIR:-/tmp/bench-refresh}
out=${TP_BENCH_OUT:-/tmp/bench-results}
mkdir -p "$out"
report=$out/refresh_bench-$(date -u +%Y%m%dT%H%M%SZ).txt

bench_build refresh_bench
bench_start "$dir"
trap '[ "${KEEP:-0}" = 1 ] || bench_stop "$dir"' EXIT
for u in bench_tls bench_probe; do
  bench_sql "$dir" "CREATE USER IF NOT EXISTS $u@'%' IDENTIFIED BY 'pw'"
done
bench_sql "$dir" "DELETE FROM mysql.tls_policy; INSERT INTO mysql.tls_policy (Host, User, Requirement, Comment) VALUES
  ('%', 'bench_tls', 'SSL', 'bench-account'), ('%', 'bench_probe', 'SSL', 'bench-account')"
{
  bench_machine
  echo "# command: bench/run_refresh_bench.sh $*"
} | tee "$report"
"$build/bench/refresh_bench" --port "$TP_PORT" --socket "$dir/mysqld.sock" \
  --ca "$dir/certs/ca1.pem" --cert "$dir/certs/alice-cert.pem" --key "$dir/certs/alice-key.pem" \
  "$@" | tee -a "$report"
echo "# load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$report"
echo "results: $report"
