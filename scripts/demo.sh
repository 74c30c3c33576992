#!/usr/bin/env bash
# demo.sh — a guided tour of tls_policy on a throwaway server.
#
# Installs what is missing, builds, starts a private mariadbd (loopback port
# 13306 and a socket under ./demo-server), installs the plugin and shows what
# it does, step by step.  The server keeps running afterwards so you can
# explore; stop it with:  scripts/sandbox.sh stop demo-server
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${TP_BUILD_DIR:-$src/build}
dir=${TP_DEMO_DIR:-$src/demo-server}
export TP_PORT=${TP_PORT:-13306}

bold=$'\e[1m'; dim=$'\e[2m'; red=$'\e[31m'; green=$'\e[32m'; off=$'\e[0m'
[ -t 1 ] || { bold=; dim=; red=; green=; off=; }
step() { printf '\n%s== %s ==%s\n' "$bold" "$*" "$off"; }
say() { printf '%s\n' "$*"; }
sql() { printf '%s  root> %s%s\n' "$dim" "$*" "$off"; mariadb --no-defaults -uroot -S "$dir/mysqld.sock" -t -e "$*"; }
# try LABEL CLIENT-OPTIONS...: one login with the stock mariadb CLI
try() {
  local label=$1; shift
  printf '  %-58s ' "$label"
  local out
  if out=$(mariadb --no-defaults "$@" -N -B -e "SELECT IF(VARIABLE_VALUE='', 'plain', VARIABLE_VALUE) FROM information_schema.SESSION_STATUS WHERE VARIABLE_NAME='Ssl_cipher'" 2>&1); then
    printf '%sadmitted%s (%s)\n' "$green" "$off" "$out"
  else
    printf '%sdenied%s  %s\n' "$red" "$off" "$(printf '%s' "$out" | tail -1)"
  fi
}

step "Build"
bash "$src/scripts/install-deps.sh"
bash "$src/scripts/configure.sh" "$build"   # the same configuration as scripts/test.sh
cmake --build "$build" --target tls_policy -j"$(nproc)" >/dev/null
say "built $build/tls_policy.so"

step "Start a throwaway server with TLS on 127.0.0.1:$TP_PORT and $dir/mysqld.sock"
"$src/scripts/sandbox.sh" start "$dir" "$build"
C=$dir/certs
TCP=(--protocol=tcp --host=127.0.0.1 --port="$TP_PORT")
TLS=(--ssl --ssl-ca="$C/ca1.pem")
sql "SELECT VERSION(), @@have_ssl"

step "Install the plugin (one statement, on the live server)"
sql "INSTALL SONAME 'tls_policy'"
sql "SHOW GLOBAL STATUS LIKE 'Tls_policy_%covered_auth_plugins'"

step "An application account"
sql "CREATE OR REPLACE USER app@'%' IDENTIFIED BY 'app-pw'; GRANT SELECT ON *.* TO app@'%'"
try "plain TCP, rule OFF" -uapp -papp-pw "${TCP[@]}" --skip-ssl
try "TLS, rule OFF" -uapp -papp-pw "${TCP[@]}" "${TLS[@]}"

step "Require secure transport"
sql "SET GLOBAL tls_policy_require_secure_transport = ON"
try "plain TCP" -uapp -papp-pw "${TCP[@]}" --skip-ssl
try "TLS over TCP" -uapp -papp-pw "${TCP[@]}" "${TLS[@]}"
try "plain unix socket (local: secure)" -uapp -papp-pw -S "$dir/mysqld.sock" --skip-ssl

step "Why was it refused? Counters and the error log"
sql "SHOW GLOBAL STATUS WHERE Variable_name IN ('Tls_policy_logins_checked','Tls_policy_logins_denied','Tls_policy_denied_insecure_transport')"
say "error log:"
grep 'tls_policy: denied' "$dir/error.log" | tail -2 | sed 's/^/  /'

if [ -x "$src/scripts/demo-more.sh" ]; then
  # shellcheck source=/dev/null
  source "$src/scripts/demo-more.sh"
fi

step "Done"
say "The server is still running: mariadb --no-defaults -uroot -S $dir/mysqld.sock"
say "Stop it with: scripts/sandbox.sh stop $dir"
