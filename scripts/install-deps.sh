#!/usr/bin/env bash
# install-deps.sh — installs what building and testing tls_policy needs on
# Debian 12 (bookworm) or Debian 13 (trixie), when it is missing.  Needs root
# (or sudo).  Set TP_SKIP_APT=1 to skip (e.g. on a machine prepared by hand).
set -euo pipefail
[ "${TP_SKIP_APT:-0}" = 1 ] && exit 0
# The fuzzers need the runtime of the distribution's default clang:
# clang 14 on Debian 12, clang 19 on Debian 13.
codename=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
case $codename in
bookworm) clang_major=14 ;;
trixie) clang_major=19 ;;
*) clang_major=$(apt-cache depends clang 2>/dev/null | sed -n 's/.*Depends: clang-\([0-9][0-9]*\)$/\1/p' | head -1)
   [ -n "$clang_major" ] || { echo "install-deps: cannot tell the clang version of '$codename'" >&2; exit 1; } ;;
esac
pkgs=(
  build-essential cmake pkg-config git
  libglib2.0-dev libssl-dev openssl
  mariadb-server mariadb-client mariadb-test mariadb-plugin-gssapi-server
  libmariadbd-dev libmariadb-dev
  clang "libclang-rt-$clang_major-dev" valgrind
  python3 python3-pymysql
  procps binutils file debootstrap lintian
)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ] || [ "${TP_FORCE_APT:-0}" = 1 ]; then
  SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
  echo "install-deps: installing ${missing[*]:-(forced)}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/tmp/tls_policy-apt.log 2>&1 || { cat /tmp/tls_policy-apt.log; exit 1; }
fi
# node and npm (client tests with mysql2): this machine image ships them;
# on a plain Debian 12 take Debian's packages.
if ! command -v npm >/dev/null 2>&1; then
  SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get install -y -qq --no-install-recommends nodejs npm >/tmp/tls_policy-apt.log 2>&1 || { cat /tmp/tls_policy-apt.log; exit 1; }
fi
