#!/usr/bin/env bash
# run-server-suites.sh BUILD_DIR [mysql-test-run options]
#
# MariaDB's own TLS and authentication tests (from Debian's mariadb-test,
# unchanged) with tls_policy loaded at server start and no rules: the
# plugin must not change what they see.  Tests: main.ssl*, main.flush_ssl,
# main.require_secure_transport, main.tls_version*, plugins.auth_ed25519.
#
# Environment: TP_MTR_PLUGIN_SO (default BUILD_DIR/tls_policy.so),
# TP_MTR_PARALLEL (default 2).
#
# MariaDB's warning check is switched off (--nowarnings): the server writes
# "Plugin 'TLS_POLICY' is of maturity level gamma ..." for every start with
# the plugin, and these tests cannot carry a suppression for it.  Instead,
# after the run every server error log is searched for a tls_policy error
# or warning (other than that maturity line) and for a crash; any of them
# fails the lane, as does any failing test, and a run in which no test
# passed.
set -uo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:?usage: run-server-suites.sh BUILD_DIR [mtr args]}" && pwd); shift
mtr_home=/usr/share/mysql/mysql-test
[ -x "$mtr_home/mysql-test-run.pl" ] || { echo "run-server-suites: $mtr_home missing (install mariadb-test)" >&2; exit 2; }
so=${TP_MTR_PLUGIN_SO:-$build/tls_policy.so}
[ -f "$so" ] || { echo "run-server-suites: $so not built" >&2; exit 2; }

vardir=$build/mtr-var-server
plugins=$vardir.plugins
rm -rf "$plugins"; mkdir -p "$plugins"
for f in /usr/lib/mysql/plugin/*; do ln -s "$f" "$plugins/"; done
ln -sf "$so" "$plugins/tls_policy.so"

tests=()
# main.ssl-big is left out: it runs for minutes (a big-test by its content).
for t in "$mtr_home"/main/ssl*.test "$mtr_home"/main/tls_version*.test; do
  [ "$(basename "$t")" = ssl-big.test ] && continue
  n=$(basename "$t" .test); tests+=("main.$n")
done
tests+=(main.flush_ssl main.require_secure_transport plugins.auth_ed25519)

log=$build/mtr-server-suites.log
start=$(date +%s)
( cd "$mtr_home" && perl mysql-test-run.pl --vardir="$vardir" \
    --parallel="${TP_MTR_PARALLEL:-2}" --force --max-test-fail=0 --retry=0 \
    --nowarnings \
    --mysqld=--plugin-dir="$plugins" --mysqld=--plugin-load-add=tls_policy.so \
    "$@" "${tests[@]}" ) 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
passed=$(grep -cE '\[ pass \]' "$log")
failed=$(grep -cE '\[ (fail|retry-fail) \]' "$log")
skipped=$(grep -cE '\[ skipped \]' "$log")

# What the plugin wrote, and crashes, in every server log of the run.
bad=$(find "$vardir" -name 'mysqld.*.err' -print0 2>/dev/null |
  xargs -0 -r grep -hE 'tls_policy: .*|got signal|GLib-ERROR|Assertion failure' 2>/dev/null |
  grep -E '\[(ERROR|Warning)\].*tls_policy:|got signal|GLib-ERROR|Assertion failure' |
  grep -v 'is of maturity level' | sort | uniq -c | head -20)
loaded=$(find "$vardir" -name 'mysqld.*.err' -print0 2>/dev/null |
  xargs -0 -r grep -lE 'tls_policy: version .* active' 2>/dev/null | wc -l)
echo "server suites with tls_policy: $passed passed, $failed failed, $skipped skipped" \
     "(MariaDB's own skips), $(( $(date +%s) - start )) s; plugin active in $loaded server logs"
status=0
[ "$rc" = 0 ] || status=1
[ "$passed" -gt 0 ] || { echo "run-server-suites: no test passed" >&2; status=1; }
[ "$loaded" -gt 0 ] || { echo "run-server-suites: tls_policy never became active" >&2; status=1; }
if [ -n "$bad" ]; then
  echo "run-server-suites: tls_policy errors/warnings or crashes in the server logs:" >&2
  echo "$bad" >&2
  status=1
fi
exit $status
