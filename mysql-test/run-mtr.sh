#!/usr/bin/env bash
# run-mtr.sh — runs the mysql-test-run suite `tls_policy` against the
# Debian-installed mysql-test-run and mariadbd.
#
#   mysql-test/run-mtr.sh BUILD_DIR [mysql-test-run options and test names]
#
# Environment: TP_MTR_PARALLEL (default 2), TP_MTR_VARDIR (default
# BUILD_DIR/mtr-var), TP_MTR_PLUGIN_SO (default BUILD_DIR/tls_policy.so: the
# ASan lane points it at the sanitizer build).
#
# Copes with the quirks of the packaged MTR (docs/hazards.md §4): it only runs
# from its own directory; a '-' in the suite path is read as overlay syntax,
# so the suite is linked from a hyphen-free temporary path; --plugin-dir
# replaces the server's plugin dir, so a private plugin dir holds links to
# the stock plugins beside tls_policy.so.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:?usage: run-mtr.sh BUILD_DIR [mtr args]}" && pwd); shift
# The packaged MTR: /usr/share/mysql/mysql-test (MariaDB 10.11, Debian 12),
# /usr/share/mariadb/mariadb-test (MariaDB 11.x, Debian 13).
mtr_home=
for d in /usr/share/mysql/mysql-test /usr/share/mariadb/mariadb-test; do
  [ -x "$d/mysql-test-run.pl" ] && { mtr_home=$d; break; }
done
[ -n "$mtr_home" ] || { echo "run-mtr: no mysql-test-run.pl in /usr/share/mysql/mysql-test or /usr/share/mariadb/mariadb-test (install mariadb-test)" >&2; exit 2; }

so=${TP_MTR_PLUGIN_SO:-$build/tls_policy.so}
[ -f "$so" ] || { echo "run-mtr: $so not built" >&2; exit 2; }

# Certificates (generated once per build tree) and the CA bundle the test
# server trusts: our two test CAs plus MTR's own, so mysqltest's SSL
# connections keep working.  ca3 is deliberately not trusted.
certs=$build/mtr-certs
bash "$src/mysql-test/tls_policy/make_certs.sh" "$certs" "$mtr_home/std_data" >/dev/null
cat "$certs/ca1.pem" "$certs/ca2.pem" "$mtr_home/std_data/cacert.pem" > "$certs/ca-server.pem"

# One plugin dir per var dir: runs with different var dirs (the normal,
# valgrind and ASan lanes) may run at the same time.
vardir=${TP_MTR_VARDIR:-$build/mtr-var}
case $vardir in /*) ;; *) vardir=$PWD/$vardir ;; esac
plugins=$vardir.plugins
rm -rf "$plugins"; mkdir -p "$plugins"
for f in /usr/lib/mysql/plugin/*; do ln -s "$f" "$plugins/"; done
ln -sf "$so" "$plugins/tls_policy.so"

link=$(mktemp -d /tmp/tpmtrXXXXXX)
trap 'rm -rf "$link"' EXIT
ln -s "$src/mysql-test/tls_policy" "$link/tls_policy"

export TP_CERTS=$certs TP_PLUGIN_DIR=$plugins TP_SRC_DIR=$src TP_BUILD_DIR=$build
export TP_STD_DATA=$mtr_home/std_data
cd "$mtr_home"
# MTR's main process can die of SIGPIPE while it reports a failed case (seen
# on 11.8's MTR, rc 141 mid-run): ignored, a closed pipe is a write error.
trap '' PIPE
exec perl mysql-test-run.pl --vardir="$vardir" --suite="$link/tls_policy" \
  --parallel="${TP_MTR_PARALLEL:-2}" --force --max-test-fail=0 --retry=0 \
  --mysqld=--plugin-dir="$plugins" "$@"
