#!/usr/bin/env bash
# run_soak.sh — the soak (bench/soak.c): DURATION seconds (default 60),
# CLIENTS client threads (default 8), on a throwaway server on
# 127.0.0.1:$TP_PORT (default 14020) in $DIR (default /tmp/bench-soak).
# Not part of the default test run.
#
#   bench/run_soak.sh [DURATION [CLIENTS [soak options, e.g. --cycle 10]]]
#
# Creates the accounts (mysql_native_password and ed25519) and their rows,
# runs the soak, prints and writes the report to
# $TP_BENCH_OUT (default /tmp/bench-results)/soak-<UTC time>.txt, and exits
# non-zero if a decision was wrong or the server crashed.  KEEP=1 leaves the
# server running.
set -euo pipefail
source "$(dirname "$0")/common.sh"
duration=${1:-60}; clients=${2:-8}; shift $(( $# > 2 ? 2 : $# ))
TP_PORT=${TP_PORT:-14020}
dir=${DIR:-/tmp/bench-soak}
out=${TP_BENCH_OUT:-/tmp/bench-results}
mkdir -p "$out"
report=$out/soak-$(date -u +%Y%m%dT%H%M%SZ).txt

bench_build soak
bench_start "$dir"
trap '[ "${KEEP:-0}" = 1 ] || bench_stop "$dir"' EXIT
certs=$dir/certs
subject=$(bench_subject "$certs/alice-cert.pem")
issuer=$(bench_issuer "$certs/alice-cert.pem")
bob_fp=$(openssl x509 -in "$certs/bob-cert.pem" -noout -fingerprint -sha256 | sed 's/^.*=//')
bench_sql "$dir" "INSTALL SONAME 'auth_ed25519'" 2>/dev/null || true
for u in soak_ssl soak_cert soak_none soak_toggle; do
  bench_sql "$dir" "CREATE USER IF NOT EXISTS $u@'%' IDENTIFIED BY 'pw'"
done
for u in soak_ed soak_edfp; do
  bench_sql "$dir" "CREATE USER IF NOT EXISTS $u@'%' IDENTIFIED VIA ed25519 USING PASSWORD('edpw')"
done
bench_sql "$dir" "DELETE FROM mysql.tls_policy;
  INSERT INTO mysql.tls_policy (Host, User, Requirement, Comment) VALUES
  ('%', 'soak_ssl', 'SSL', 'soak'),
  ('%', 'soak_cert', 'SUBJECT ''$subject'' AND ISSUER ''$issuer''', 'soak'),
  ('%', 'soak_ed', 'X509', 'soak'),
  ('%', 'soak_edfp', 'FINGERPRINT ''$bob_fp''', 'soak'),
  ('%', 'soak_toggle', 'NONE', 'soak')"

{
  bench_machine
  echo "# command: bench/run_soak.sh $duration $clients $*"
  echo "# covered: $(bench_sql "$dir" "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME='TLS_POLICY_COVERED_AUTH_PLUGINS'")"
} | tee "$report"
rc=0
"$build/bench/soak" --port "$TP_PORT" --socket "$dir/mysqld.sock" --certs "$certs" \
  --errlog "$dir/error.log" --pid-file "$dir/mysqld.pid" --duration "$duration" \
  --clients "$clients" "$@" 2> >(grep -v '^soak: .*: error 2026' >&2) | tee -a "$report" || rc=$?
echo "# load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$report"
echo "results: $report"
exit $rc
