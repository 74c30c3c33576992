#!/usr/bin/env bash
# sandbox.sh — a throwaway mariadbd for demos, benchmarks and manual checks.
#
#   scripts/sandbox.sh start DIR BUILD_DIR [extra mariadbd options...]
#   scripts/sandbox.sh stop DIR
#
# Creates DIR/data with mariadb-install-db (once), a plugin directory
# DIR/plugins holding links to the stock plugins and to BUILD_DIR/tls_policy.so,
# and starts the server on 127.0.0.1:${TP_PORT:-13306} and DIR/mysqld.sock with
# TLS from DIR/certs (the MTR test certificates, generated if missing).
# Runs as root with --user=root.  Nothing outside DIR is touched.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cmd=${1:?start|stop}; dir=${2:?DIR}
mkdir -p "$dir"; dir=$(cd "$dir" && pwd)
port=${TP_PORT:-13306}

stop() {
  if [ -f "$dir/mysqld.pid" ]; then
    local pid; pid=$(cat "$dir/mysqld.pid" 2>/dev/null || true)
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill "$pid"; for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -f "$dir/mysqld.pid"
  fi
}

case "$cmd" in
stop) stop; exit 0 ;;
start) ;;
*) echo "usage: $0 start|stop DIR [BUILD_DIR]" >&2; exit 2 ;;
esac
build=${3:?BUILD_DIR}; build=$(cd "$build" && pwd); shift 3
stop
bash "$here/mysql-test/tls_policy/make_certs.sh" "$dir/certs" >/dev/null
mkdir -p "$dir/plugins"
for f in /usr/lib/mysql/plugin/*.so; do ln -sf "$f" "$dir/plugins/"; done
ln -sf "$build/tls_policy.so" "$dir/plugins/tls_policy.so"
if [ ! -d "$dir/data/mysql" ]; then
  mariadb-install-db --no-defaults --datadir="$dir/data" --user=root \
    --auth-root-authentication-method=normal --skip-test-db >"$dir/install.log" 2>&1 ||
    { echo "sandbox: mariadb-install-db failed, see $dir/install.log" >&2; exit 1; }
fi
mariadbd --no-defaults --user=root --datadir="$dir/data" \
  --socket="$dir/mysqld.sock" --port="$port" --bind-address=127.0.0.1 \
  --pid-file="$dir/mysqld.pid" --log-error="$dir/error.log" \
  --plugin-dir="$dir/plugins" --skip-name-resolve \
  --ssl-ca="$dir/certs/ca1.pem" --ssl-cert="$dir/certs/server-cert.pem" \
  --ssl-key="$dir/certs/server-key.pem" "$@" &
for _ in $(seq 1 300); do
  if mariadb --no-defaults -uroot --socket="$dir/mysqld.sock" -e 'select 1' >/dev/null 2>&1; then
    # No anonymous accounts: they would shadow the demo's accounts.
    mariadb --no-defaults -uroot --socket="$dir/mysqld.sock" -e "DELETE FROM mysql.global_priv WHERE User=''; FLUSH PRIVILEGES"
    exit 0
  fi
  sleep 0.1
done
echo "sandbox: server did not start; see $dir/error.log" >&2
tail -20 "$dir/error.log" >&2
exit 1
