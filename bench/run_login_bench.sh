#!/usr/bin/env bash
# run_login_bench.sh — logins per second with and without tls_policy
# (bench/login_bench.c): builds, starts a throwaway server on
# 127.0.0.1:$TP_PORT (default 14010) in $DIR (default /tmp/bench-login),
# creates the accounts, runs the benchmark, writes the results and stops
# the server.
#
#   bench/run_login_bench.sh [login_bench options, e.g. --repeats 5 --seconds 3]
#
# Results: $TP_BENCH_OUT (default /tmp/bench-results)/login_bench-<UTC time>.txt
# (report) and .tsv (every sample).  Set KEEP=1 to leave the server running.
set -euo pipefail
source "$(dirname "$0")/common.sh"
TP_PORT=${TP_PORT:-14010}
dir=${DIR:-/tmp/bench-login}
out=${TP_BENCH_OUT:-/tmp/bench-results}
mkdir -p "$out"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
report=$out/login_bench-$stamp.txt

bench_build login_bench
bench_start "$dir"
trap '[ "${KEEP:-0}" = 1 ] || bench_stop "$dir"' EXIT
for u in bench_plain bench_tls bench_cert; do
  bench_sql "$dir" "CREATE USER IF NOT EXISTS $u@'%' IDENTIFIED BY 'pw'"
done
certs=$dir/certs
rule="SUBJECT '$(bench_subject "$certs/alice-cert.pem")' AND ISSUER '$(bench_issuer "$certs/alice-cert.pem")'"

cmd=("$build/bench/login_bench" --port "$TP_PORT" --socket "$dir/mysqld.sock"
     --pid-file "$dir/mysqld.pid" --errlog "$dir/error.log" --ca "$certs/ca1.pem"
     --cert "$certs/alice-cert.pem" --key "$certs/alice-key.pem" --cert-rule "$rule"
     --raw "$out/login_bench-$stamp.tsv" "$@")
{
  bench_machine
  echo "# command: bench/run_login_bench.sh $*"
  echo "# certificate rule of (c): $rule"
} | tee "$report"
"${cmd[@]}" | tee -a "$report"
echo "# load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$report"
echo "results: $report"
