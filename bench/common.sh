# common.sh — sourced by the bench/ driver scripts.
#
# Variables (environment, with defaults):
#   TP_BENCH_BUILD  build directory configured with -DTP_BENCH=ON (/work/build-bench)
#   TP_PORT         TCP port of the sandbox server (set by each script)
#   TP_BENCH_OUT    directory the results are written to
# Functions: bench_build TARGETS..., bench_start DIR [mariadbd options],
# bench_stop DIR, bench_sql DIR SQL, bench_machine (prints the machine).
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${TP_BENCH_BUILD:-/work/build-bench}

bench_build() {
  cmake -S "$src" -B "$build" -DTP_BENCH=ON >/dev/null
  cmake --build "$build" --target tls_policy "$@" >/dev/null
}

bench_sql() {
  local dir=$1; shift
  mariadb --no-defaults -uroot --socket="$dir/mysqld.sock" -N -B -e "$*"
}

# Starts the sandbox (scripts/sandbox.sh) with this build's plugin, installs
# the plugin (which creates mysql.tls_policy) and empties the table.
bench_start() {
  local dir=$1; shift
  TP_PORT=$TP_PORT bash "$src/scripts/sandbox.sh" start "$dir" "$build" "$@"
  bench_sql "$dir" "INSTALL SONAME 'tls_policy'" 2>/dev/null || true
  bench_sql "$dir" "DELETE FROM mysql.tls_policy"
}

bench_stop() {
  bash "$src/scripts/sandbox.sh" stop "$1"
}

# One-line names as the server's native REQUIRE and the plugin's
# SUBJECT/ISSUER compare them (X509_NAME_oneline, CERTS.md).
bench_subject() { openssl x509 -in "$1" -noout -subject -nameopt compat | sed 's/^subject=//'; }
bench_issuer() { openssl x509 -in "$1" -noout -issuer -nameopt compat | sed 's/^issuer=//'; }

bench_machine() {
  echo "# date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
  echo "# machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')), $(free -g | awk '/Mem:/{print $2}') GiB RAM, kernel $(uname -r)"
  echo "# server: $(mariadbd --version | sed 's/^.*Ver //'); client: libmariadb $(pkg-config --modversion libmariadb 2>/dev/null)"
  echo "# source: $(git -C "$src" rev-parse --short HEAD 2>/dev/null)$(git -C "$src" diff --quiet 2>/dev/null || echo ' (with uncommitted changes)')"
  echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
}
