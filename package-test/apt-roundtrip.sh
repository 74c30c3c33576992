#!/usr/bin/env bash
# apt-roundtrip.sh BUILD_DIR — the Debian package on a real Debian system,
# without touching this one: in private mount, network and PID namespaces,
# an overlay of / (changes go to BUILD_DIR/package-apt and are thrown away)
# becomes the root of a chroot where
#   1. apt-get install ./mariadb-plugin-tls-policy_*.deb (offline, in a network namespace with only lo: the
#      dependencies are already installed), the system's mariadbd started
#      with the system configuration, INSTALL SONAME 'tls_policy' as root
#      over the unix socket with no other setting, a login check;
#   2. an upgrade to a repacked copy with a higher version: the plugin stays
#      installed (prerm does nothing on upgrade);
#   3. apt-get remove with the server running: prerm unloads the plugin,
#      mysql.tls_policy is kept, the conffile stays until purge;
#   4. install again, stop the server, remove: prerm only warns, the removal
#      succeeds, the server still starts (logging the missing library only
#      for the two mysql.plugin rows: no mysql.func row names it), the
#      plugin's views read no rows, mariadb-dump --all-databases works, and
#      UNINSTALL PLUGIN clears the registration: the next start logs
#      nothing about tls_policy.so.
# Needs root and unshare(CLONE_NEWNS|CLONE_NEWNET|CLONE_NEWPID); exits 77
# (skipped) without them.  CTest: package/apt (labels package, slow).
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:?usage: apt-roundtrip.sh BUILD_DIR}" && pwd)
scratch=$build/package-apt

if [ -z "${TP_APT_INNER:-}" ]; then
  debs=("$build"/mariadb-plugin-tls-policy_*_"$(dpkg --print-architecture)".deb)
  [ -f "${debs[0]}" ] || { echo "apt-roundtrip: no .deb in $build (run package/deb first)" >&2; exit 1; }
  [ "$(id -u)" = 0 ] || { echo "apt-roundtrip: needs root; skipped"; exit 77; }
  unshare --mount --net --pid --fork true 2>/dev/null || { echo "apt-roundtrip: unshare not permitted; skipped"; exit 77; }
  rm -rf "$scratch"; mkdir -p "$scratch"/{upper,work,root}
  bash "$src/mysql-test/tls_policy/make_certs.sh" "$build/mtr-certs" >/dev/null
  rc=0
  TP_APT_INNER=1 TP_APT_DEB=${debs[0]} unshare --mount --net --pid --fork bash "$0" "$build" || rc=$?
  [ "$rc" = 0 ] && rm -rf "$scratch"
  exit $rc
fi

# ---- inside the namespaces (PID 1: the server dies with us)
mount --make-rprivate /
ip link set lo up
r=$scratch/root
mount -t overlay overlay -o "lowerdir=/,upperdir=$scratch/upper,workdir=$scratch/work" "$r"
mount -t proc proc "$r/proc"
mount --rbind /sys "$r/sys"
mount --rbind /dev "$r/dev"
mount -t tmpfs tmpfs "$r/run"
mount -t tmpfs tmpfs "$r/tmp"
chmod 1777 "$r/tmp"
mkdir -p "$r/tmp/pkg" "$r/tmp/certs"
cp "$TP_APT_DEB" "$r/tmp/pkg/"
cp "$build/mtr-certs"/{ca1.pem,server-cert.pem,server-key.pem} "$r/tmp/certs/"

exec chroot "$r" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root bash -s <<'CHROOT'
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
step() { printf '\n== [%s] %s\n' "$(date +%T)" "$*"; }
ok() { echo "ok: $*"; }
fail() { echo "FAIL: $*" >&2; tail -20 /tmp/mariadbd.err >&2 2>/dev/null || true; exit 1; }
sql() { mariadb -uroot -N -B -e "$1"; }
pid=
start_server() {
  mkdir -p /run/mysqld; chown mysql:mysql /run/mysqld
  mariadbd --user=mysql >>/tmp/mariadbd.err 2>&1 &
  pid=$!
  for _ in $(seq 1 300); do sql 'SELECT 1' >/dev/null 2>&1 && return 0; kill -0 $pid 2>/dev/null || break; sleep 0.1; done
  fail "mariadbd did not start"
}
stop_server() {
  kill $pid; for _ in $(seq 1 300); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
  kill -0 $pid 2>/dev/null && fail "mariadbd did not stop"
  wait $pid 2>/dev/null || true
}
registered() { sql "SELECT (SELECT COUNT(*) > 0 FROM information_schema.PLUGINS WHERE PLUGIN_LIBRARY='tls_policy.so'), (SELECT COUNT(*) > 0 FROM mysql.plugin WHERE dl='tls_policy.so')"; }
deb=$(ls /tmp/pkg/*.deb)

step "1. apt-get install $(basename "$deb")"
# TLS for the login check (the system configuration has none).
printf '[mariadb]\nssl-ca=/tmp/certs/ca1.pem\nssl-cert=/tmp/certs/server-cert.pem\nssl-key=/tmp/certs/server-key.pem\n' \
  >/etc/mysql/mariadb.conf.d/99-roundtrip-tls.cnf
apt-get install -y "$deb" 2>&1 | grep -vE '^(Reading|Building|WARNING: apt does not have)' || fail "apt-get install"
[ "$(dpkg-query -W -f='${Status}' mariadb-plugin-tls-policy)" = "install ok installed" ] || fail "not installed"
test -f /usr/lib/mysql/plugin/tls_policy.so || fail "no /usr/lib/mysql/plugin/tls_policy.so"
test -f /etc/mysql/mariadb.conf.d/60-tls-policy.cnf || fail "no 60-tls-policy.cnf"
start_server
ok "system mariadbd $(sql 'SELECT VERSION()') started with the packaged 60-tls-policy.cnf in place"
sql "INSTALL SONAME 'tls_policy'" || fail "INSTALL SONAME"
ok "INSTALL SONAME 'tls_policy' with no other setting: $(sql "SELECT PLUGIN_STATUS FROM information_schema.PLUGINS WHERE PLUGIN_NAME='tls_policy'")"
sql "CREATE USER tp_app@'%' IDENTIFIED BY 'pw'; SET GLOBAL tls_policy_require_secure_transport=ON"
login() { mariadb -utp_app -ppw --protocol=tcp --host=127.0.0.1 "$@" -N -B -e "SELECT VARIABLE_VALUE FROM information_schema.SESSION_STATUS WHERE VARIABLE_NAME='Ssl_version'" 2>&1; }
out=$(login --skip-ssl) && fail "plain TCP admitted"
grep -q '^ERROR 1045' <<<"$out" || fail "plain TCP: $out"; ok "plain TCP denied: $out"
out=$(login --ssl --ssl-ca=/tmp/certs/ca1.pem --ssl-verify-server-cert) || fail "TLS: $out"; ok "TLS admitted ($out)"
sql "INSERT INTO mysql.tls_policy (Host, User, Requirement) VALUES ('%', 'tp_app', 'SSL')"

step "2. upgrade to a repacked copy with a higher version"
rm -rf /tmp/repack; dpkg-deb -R "$deb" /tmp/repack
v=$(dpkg-deb -f "$deb" Version)
sed -i "s/^Version: .*/Version: ${v}.1/" /tmp/repack/DEBIAN/control
dpkg-deb -b /tmp/repack /tmp/pkg/upgrade.deb >/dev/null
apt-get install -y /tmp/pkg/upgrade.deb 2>&1 | grep -E 'tls-policy|Unpacking|Setting up' || true
[ "$(dpkg-query -W -f='${Version}' mariadb-plugin-tls-policy)" = "${v}.1" ] || fail "upgrade"
[ "$(registered)" = "1	1" ] || fail "plugin not registered after the upgrade: $(registered)"
ok "upgraded to ${v}.1; tls_policy still loaded and registered"

step "3. apt-get remove with the server running"
apt-get remove -y mariadb-plugin-tls-policy 2>&1 | grep -vE '^(Reading|Building)' || fail "apt-get remove"
[ "$(registered)" = "0	0" ] || fail "still registered after remove: $(registered)"
ok "prerm unloaded the plugin"
[ "$(sql "SELECT COUNT(*) FROM mysql.tls_policy")" = 1 ] || fail "mysql.tls_policy not kept"
ok "mysql.tls_policy kept"
test -f /etc/mysql/mariadb.conf.d/60-tls-policy.cnf || fail "conffile removed by remove"
[ "$(dpkg-query -W -f='${Status}' mariadb-plugin-tls-policy)" = "deinstall ok config-files" ] || fail "state after remove"
apt-get purge -y mariadb-plugin-tls-policy >/dev/null 2>&1 || fail "purge"
test ! -e /etc/mysql/mariadb.conf.d/60-tls-policy.cnf || fail "conffile left after purge"
ok "purge removed the conffile"
out=$(login --skip-ssl) || fail "plain TCP after removal: $out"; ok "plain TCP admitted again"

step "4. remove while the server is stopped"
apt-get install -y "$deb" >/dev/null 2>&1 || fail "reinstall"
sql "INSTALL SONAME 'tls_policy'"
stop_server
apt-get remove -y mariadb-plugin-tls-policy 2>&1 | grep -vE '^(Reading|Building)' || fail "remove with server stopped"
[ "$(dpkg-query -W -f='${Status}' mariadb-plugin-tls-policy)" = "deinstall ok config-files" ] || fail "state after remove"
ok "removal succeeded with the server stopped"
: >/tmp/mariadbd.err
start_server
grep -E "tls_policy" /tmp/mariadbd.err | sed 's/^/  log: /'
grep -q "tls_policy.so" /tmp/mariadbd.err || fail "expected the server to log the missing tls_policy.so"
n=$(grep -c "Can't open shared library.*tls_policy.so" /tmp/mariadbd.err || true)
[ "$n" = 2 ] || fail "expected 2 'Can't open shared library' lines (the mysql.plugin rows), got $n"
[ "$(sql "SELECT COUNT(*) FROM mysql.func WHERE dl='tls_policy.so'")" = 0 ] || fail "mysql.func rows left"
ok "server starts without the library: 2 log lines, from mysql.plugin only"
for v in rules connections account_cert_expiry recheck native_require; do
  out=$(sql "SELECT COUNT(*) FROM mysql.tls_policy_$v" 2>&1) || fail "mysql.tls_policy_$v without the library: $out"
done
[ "$(sql "SELECT COUNT(*) FROM mysql.tls_policy_rules")" = 0 ] || fail "rules view not empty without the plugin"
ok "the plugin's views read without the library (no rows)"
mariadb-dump -uroot --all-databases >/tmp/all.sql 2>/tmp/dump.err || fail "mariadb-dump --all-databases: $(cat /tmp/dump.err)"
ok "mariadb-dump --all-databases works"
sql "UNINSTALL SONAME 'tls_policy'" 2>&1 && fail "UNINSTALL SONAME worked without the library?"
for p in $(sql "SELECT name FROM mysql.plugin WHERE dl='tls_policy.so'"); do
  sql "UNINSTALL PLUGIN $p" 2>&1 || fail "UNINSTALL PLUGIN $p"
done
[ "$(registered)" = "0	0" ] || fail "UNINSTALL PLUGIN did not clear the registration: $(registered)"
ok "UNINSTALL PLUGIN cleared the mysql.plugin rows"
stop_server
: >/tmp/mariadbd.err
start_server
if grep -E "tls_policy" /tmp/mariadbd.err; then fail "the start after the cleanup logged tls_policy lines"; fi
ok "the next start logs nothing about tls_policy"
stop_server
echo
echo "apt-roundtrip: passed"
CHROOT
