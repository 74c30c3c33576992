#!/usr/bin/env bash
# install.sh BUILD_DIR — CTest package/install: unpacks the Debian package
# built by package/deb (dpkg-deb -x into a scratch root under BUILD_DIR),
# starts a throwaway mariadbd whose --plugin-dir is the unpacked
# usr/lib/mysql/plugin, loads the plugin with a bare INSTALL SONAME and
# checks a login: plain TCP denied with tls_policy_require_secure_transport=ON,
# TLS admitted.  Also checks that the example configuration names every
# option the loaded plugin has.
#
# Port: TP_PKG_PORT (default: the first free one in 15306..15399).
# Scratch: BUILD_DIR/package-test (replaced on each run; kept after a
# failure for the error log).
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:?usage: install.sh BUILD_DIR}" && pwd)
pkg=mariadb-plugin-tls-policy
debs=("$build/${pkg}"_*_"$(dpkg --print-architecture)".deb)
[ -f "${debs[0]}" ] || { echo "install: no ${pkg} .deb in $build (run package/deb first)" >&2; exit 1; }
deb=${debs[0]}
dir=$build/package-test
pid=

stop_server() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
  fi
  pid=
}
trap stop_server EXIT
fail() { echo "FAIL: $*" >&2; [ -f "$dir/error.log" ] && tail -20 "$dir/error.log" >&2; exit 1; }
ok() { echo "ok: $*"; }

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port=${TP_PKG_PORT:-}
if [ -z "$port" ]; then
  for p in $(seq 15306 15399); do port_free "$p" && { port=$p; break; }; done
  [ -n "$port" ] || fail "no free port in 15306..15399"
fi

rm -rf "$dir"; mkdir -p "$dir"
root=$dir/root
dpkg-deb -x "$deb" "$root"
plugins=$root/usr/lib/mysql/plugin
[ -f "$plugins/tls_policy.so" ] || fail "the package has no usr/lib/mysql/plugin/tls_policy.so"
ok "unpacked $(basename "$deb")"

certs=$build/mtr-certs
bash "$src/mysql-test/tls_policy/make_certs.sh" "$certs" >/dev/null

user=(); [ "$(id -u)" = 0 ] && user=(--user=root)
mariadb-install-db --no-defaults "${user[@]}" --datadir="$dir/data" \
  --auth-root-authentication-method=normal --skip-test-db >"$dir/install-db.log" 2>&1 ||
  { cat "$dir/install-db.log" >&2; fail "mariadb-install-db"; }
sock=$dir/mysqld.sock
mariadbd --no-defaults "${user[@]}" --datadir="$dir/data" --socket="$sock" \
  --port="$port" --bind-address=127.0.0.1 --skip-name-resolve \
  --pid-file="$dir/mysqld.pid" --log-error="$dir/error.log" \
  --plugin-dir="$plugins" --innodb-buffer-pool-size=32M \
  --ssl-ca="$certs/ca1.pem" --ssl-cert="$certs/server-cert.pem" --ssl-key="$certs/server-key.pem" \
  >"$dir/mariadbd.out" 2>&1 &
pid=$!
root_sql() { mariadb --no-defaults -uroot --socket="$sock" -N -B -e "$1"; }
for _ in $(seq 1 300); do
  root_sql 'SELECT 1' >/dev/null 2>&1 && break
  kill -0 "$pid" 2>/dev/null || fail "mariadbd exited"
  sleep 0.1
done
root_sql 'SELECT 1' >/dev/null 2>&1 || fail "mariadbd did not start"
ok "mariadbd $(root_sql 'SELECT VERSION()') on port $port, plugin_dir=$(root_sql 'SELECT @@plugin_dir')"

# No anonymous accounts: they would shadow app@'%'.
root_sql "DELETE FROM mysql.global_priv WHERE User=''; FLUSH PRIVILEGES"
root_sql "INSTALL SONAME 'tls_policy'" || fail "INSTALL SONAME 'tls_policy'"
state=$(root_sql "SELECT CONCAT(PLUGIN_STATUS, ' ', PLUGIN_LIBRARY) FROM information_schema.PLUGINS WHERE PLUGIN_NAME='tls_policy'")
[ "$state" = "ACTIVE tls_policy.so" ] || fail "tls_policy state '$state'"
ok "INSTALL SONAME 'tls_policy': $state"
echo "plugins in tls_policy.so: $(root_sql "SELECT GROUP_CONCAT(CONCAT(PLUGIN_NAME, ' (', PLUGIN_TYPE, ')') ORDER BY PLUGIN_NAME SEPARATOR ', ') FROM information_schema.PLUGINS WHERE PLUGIN_LIBRARY='tls_policy.so'")"

root_sql "CREATE USER app@'%' IDENTIFIED BY 'app-pw'; SET GLOBAL tls_policy_require_secure_transport = ON"
login() {
  mariadb --no-defaults -uapp -papp-pw --protocol=tcp --host=127.0.0.1 --port="$port" "$@" -N -B \
    -e "SELECT IF(VARIABLE_VALUE='', 'plain', VARIABLE_VALUE) FROM information_schema.SESSION_STATUS WHERE VARIABLE_NAME='Ssl_version'" 2>&1
}
out=$(login --skip-ssl) && fail "plain TCP admitted ($out)"
grep -q '^ERROR 1045 (28000)' <<<"$out" || fail "plain TCP: expected ERROR 1045, got: $out"
ok "plain TCP denied: $out"
out=$(login --ssl --ssl-ca="$certs/ca1.pem" --ssl-verify-server-cert) || fail "TLS denied: $out"
ok "TLS admitted ($out)"
denied=$(root_sql "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME='TLS_POLICY_DENIED_INSECURE_TRANSPORT'")
[ "$denied" = 1 ] || fail "Tls_policy_denied_insecure_transport is '$denied', expected 1"
ok "Tls_policy_denied_insecure_transport = 1"

# The example configuration names every option of every plugin in the
# library: its load option (loose-<plugin>) and each variable that can be
# set at startup (loose-<variable>), with '-' for '_'.
cnf=$root/etc/mysql/mariadb.conf.d/60-tls-policy.cnf
missing=() checked=0
while read -r opt; do
  [ -n "$opt" ] || continue
  checked=$((checked + 1))
  grep -qE "^#loose-${opt} = " "$cnf" || missing+=("$opt")
done < <(root_sql "SELECT LOWER(REPLACE(PLUGIN_NAME, '_', '-')) FROM information_schema.PLUGINS WHERE PLUGIN_LIBRARY='tls_policy.so'
                   UNION ALL
                   SELECT LOWER(REPLACE(VARIABLE_NAME, '_', '-')) FROM information_schema.SYSTEM_VARIABLES
                   WHERE VARIABLE_NAME LIKE 'TLS\\_POLICY\\_%' AND COMMAND_LINE_ARGUMENT IS NOT NULL")
[ "${#missing[@]}" = 0 ] || fail "packaging/60-tls-policy.cnf lacks a commented-out line for: ${missing[*]}"
ok "60-tls-policy.cnf lists all $checked startup options of the plugin"

root_sql "UNINSTALL SONAME 'tls_policy'" >/dev/null 2>&1 || true
stop_server
rm -rf "$dir"
echo "package/install: passed"
