#!/usr/bin/env bash
# callgrind_login.sh — instructions per login added by tls_policy.
#
#   bench/callgrind_login.sh [N [REPEATS [KINDS]]]     (defaults: 100 3 "plain tls cert")
#
# Runs ONE mariadbd under valgrind --tool=callgrind on 127.0.0.1:$TP_PORT
# (default 14030), data in $DIR (default /tmp/bench-callgrind, prepared with
# scripts/sandbox.sh), and for each kind of login and each repetition
# measures, with the plugin UNINSTALLed and then INSTALLed with a rule for
# the account (plain: NONE, tls: SSL, cert: SUBJECT ... AND ISSUER ...):
#   callgrind_control --zero; N logins (bench/login_bench --count N);
#   callgrind_control --dump; Ir of the dump / N.
# Two collection scopes, one valgrind run each:
#   login   --collect-atstart=no --toggle-collect=login_connection(THD*):
#           only the instructions of the login itself (TLS handshake,
#           authentication, the plugin's wrapper and decision, the audit
#           CONNECT event) on the connection's thread; no background work.
#   server  everything mariadbd executed during the N logins, all threads
#           (thread creation, disconnect, InnoDB background, the plugin's
#           refresher thread).
# Prints a table (median of REPEATS, min..max) and writes it to
# $TP_BENCH_OUT (default /tmp/bench-results)/callgrind-<UTC time>.txt.
# Deterministic enough to repeat: instruction counts do not depend on the
# machine's load (the "server" scope varies with background activity).
set -euo pipefail
source "$(dirname "$0")/common.sh"
n=${1:-100}; reps=${2:-3}; kinds=${3:-plain tls cert}
TP_PORT=${TP_PORT:-14030}
dir=${DIR:-/tmp/bench-callgrind}
out=${TP_BENCH_OUT:-/tmp/bench-results}
scopes=${SCOPES:-login server}
mkdir -p "$out"
report=$out/callgrind-$(date -u +%Y%m%dT%H%M%SZ).txt

bench_build login_bench
# Prepare the data directory, accounts and rows with a normal server.
bench_start "$dir"
for u in bench_plain bench_tls bench_cert; do
  bench_sql "$dir" "CREATE USER IF NOT EXISTS $u@'%' IDENTIFIED BY 'pw'"
done
certs=$dir/certs
rule="SUBJECT '$(bench_subject "$certs/alice-cert.pem")' AND ISSUER '$(bench_issuer "$certs/alice-cert.pem")'"
bench_sql "$dir" "DELETE FROM mysql.tls_policy; INSERT INTO mysql.tls_policy (Host, User, Requirement, Comment) VALUES
  ('%', 'bench_plain', 'NONE', 'bench-account'), ('%', 'bench_tls', 'SSL', 'bench-account'),
  ('%', 'bench_cert', '$(printf '%s' "$rule" | sed "s/'/''/g")', 'bench-account')"
bench_stop "$dir"

sql() { mariadb --no-defaults -uroot --socket="$dir/mysqld.sock" -N -B -e "$*"; }
pid=
cleanup() { if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill "$pid"; wait "$pid" 2>/dev/null || true; fi; }
trap cleanup EXIT

start_valgrind() {   # $1: scope
  local extra=()
  if [ "$1" = login ]; then
    extra=(--collect-atstart=no "--toggle-collect=login_connection(THD*)")
  fi
  rm -f "$dir"/callgrind.out.*
  valgrind --tool=callgrind "${extra[@]}" --callgrind-out-file="$dir/callgrind.out.%p" \
    mariadbd --no-defaults --user=root --datadir="$dir/data" \
    --socket="$dir/mysqld.sock" --port="$TP_PORT" --bind-address=127.0.0.1 \
    --pid-file="$dir/mysqld.pid" --log-error="$dir/error.log" \
    --plugin-dir="$dir/plugins" --skip-name-resolve \
    --ssl-ca="$certs/ca1.pem" --ssl-cert="$certs/server-cert.pem" \
    --ssl-key="$certs/server-key.pem" --innodb-use-native-aio=0 --loose-innodb-buffer-pool-size-max=256M --innodb-buffer-pool-size=64M \
    >"$dir/valgrind.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 1200); do
    sql "SELECT 1" >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || { echo "mariadbd under valgrind exited; see $dir/valgrind.log" >&2; exit 1; }
    sleep 0.25
  done
  echo "mariadbd under valgrind did not start" >&2; exit 1
}

plugin_on() {
  if [ "$(sql "SELECT COUNT(*) FROM information_schema.PLUGINS WHERE PLUGIN_NAME='TLS_POLICY' AND PLUGIN_STATUS='ACTIVE'")" != 1 ]; then
    sql "INSTALL SONAME 'tls_policy'"
  fi
  # the refresher's periodic check is not part of a login
  sql "SET GLOBAL tls_policy_refresh_interval = 3600"
}

plugin_off() {
  local from; from=$(stat -c %s "$dir/error.log")
  sql "UNINSTALL SONAME 'tls_policy'" 2>/dev/null || return 0
  for _ in $(seq 1 600); do
    tail -c +"$((from + 1))" "$dir/error.log" | grep -q 'tls_policy: stopped; authentication handlers restored' && return 0
    sql "SELECT 1" >/dev/null
    sleep 0.2
  done
  echo "tls_policy was not deinitialised" >&2; exit 1
}

measure() {   # $1 kind -> prints Ir per login
  local kind=$1 before after
  "$build/bench/login_bench" --count 20 --kind "$kind" --port "$TP_PORT" \
    --ca "$certs/ca1.pem" --cert "$certs/alice-cert.pem" --key "$certs/alice-key.pem" >/dev/null
  callgrind_control -z "$pid" >/dev/null 2>&1
  "$build/bench/login_bench" --count "$n" --kind "$kind" --port "$TP_PORT" \
    --ca "$certs/ca1.pem" --cert "$certs/alice-cert.pem" --key "$certs/alice-key.pem" >/dev/null
  before=$(ls "$dir"/callgrind.out.* 2>/dev/null | wc -l)
  callgrind_control -d "$pid" >/dev/null 2>&1
  local f; f=$(ls -t "$dir"/callgrind.out.* | head -1)
  local ir; ir=$(grep -E '^(summary|totals):' "$f" | tail -1 | awk '{print $2}')
  echo $(( ir / n ))
}

{
  bench_machine
  echo "# command: bench/callgrind_login.sh $n $reps \"$kinds\" (SCOPES=\"$scopes\")"
  echo "# valgrind: $(valgrind --version); $n logins per measurement, $reps repetitions, median (min..max)"
  echo "# rule with the plugin: plain NONE, tls SSL, cert $rule"
} | tee "$report"
declare -A res
for scope in $scopes; do
  start_valgrind "$scope"
  for r in $(seq 1 "$reps"); do
    for kind in $kinds; do
      plugin_off; res[$scope,$kind,off,$r]=$(measure "$kind")
      plugin_on;  res[$scope,$kind,on,$r]=$(measure "$kind")
      echo "# $scope $kind rep $r: without ${res[$scope,$kind,off,$r]} with ${res[$scope,$kind,on,$r]} Ir/login" >&2
    done
  done
  sql "SHUTDOWN" >/dev/null 2>&1 || kill "$pid"
  wait "$pid" 2>/dev/null || true
  pid=
done

stats() {   # values... -> "median (min..max)"
  printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END {m=(NR%2)?v[(NR+1)/2]:int((v[NR/2]+v[NR/2+1])/2); printf "%d (%d..%d)", m, v[1], v[NR]}'
}
med() { printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END {print (NR%2)?v[(NR+1)/2]:int((v[NR/2]+v[NR/2+1])/2)}'; }
{
  printf '%-7s %-6s %-30s %-30s %12s %8s %s\n' scope kind "Ir/login without plugin" "Ir/login with plugin+rule" "added" "added%" "added per repetition"
  for scope in $scopes; do
    for kind in $kinds; do
      offs=(); ons=(); diffs=()
      for r in $(seq 1 "$reps"); do
        offs+=("${res[$scope,$kind,off,$r]}"); ons+=("${res[$scope,$kind,on,$r]}")
        diffs+=($(( ${res[$scope,$kind,on,$r]} - ${res[$scope,$kind,off,$r]} )))
      done
      mo=$(med "${offs[@]}"); mn=$(med "${ons[@]}")
      printf '%-7s %-6s %-30s %-30s %12d %7.2f%% %s\n' "$scope" "$kind" "$(stats "${offs[@]}")" \
        "$(stats "${ons[@]}")" $((mn - mo)) "$(echo "scale=4; ($mn - $mo) * 100 / $mo" | bc)" "${diffs[*]}"
    done
  done
} | tee -a "$report"
echo "results: $report"
