#!/usr/bin/env bash
# debian13-root.sh — runs a command inside a Debian 13 ("trixie") root with
# this source tree in it, e.g. the whole test lane on MariaDB 11.8:
#
#   scripts/debian13-root.sh                       # the lane: scripts/trixie-lane.sh
#   scripts/debian13-root.sh bash -l               # a shell in the root
#   scripts/debian13-root.sh mariadbd --version
#
# The root is made once with debootstrap and kept at a fixed path outside the
# checkout (TP_TRIXIE_ROOT, default /var/cache/tls_policy/trixie-root); a
# later run reuses it when it is complete (the stamp .tp-complete is written
# only after debootstrap and scripts/install-deps.sh succeeded inside it).
# The packages come from the Debian mirror apt already uses on this machine
# (read from /etc/apt/sources.list{,.d/*}; no host name is written here).
#
# Inside the root: the source tree is bind-mounted read-only at /tp/src,
# the build dir is /tp/build (kept in the root, so rebuilds are incremental),
# /proc, /sys, /dev, /dev/pts and MTR's port-reservation dir
# (/tmp/mysql-unique-ids) are mounted for the command's lifetime and
# unmounted on exit (trap), also on failure or interrupt.
# Needs root.  Runs are serialized with flock on the root's lock file.
set -euo pipefail
# One compound command: bash reads it whole before running it, so editing
# this file while a lane runs cannot change what the running lane does.
{
src=$(cd "$(dirname "$0")/.." && pwd)
root=${TP_TRIXIE_ROOT:-/var/cache/tls_policy/trixie-root}
suite=trixie
# 77: CTest's "skipped" (never counted as passed).
[ "$(id -u)" = 0 ] || { echo "debian13-root: needs root (debootstrap, chroot, mount): not run" >&2; exit 77; }
[ $# -gt 0 ] || set -- bash /tp/src/scripts/trixie-lane.sh

# The mirror: the first deb URI of the host's apt sources whose path ends in
# /debian (deb822 .sources or one-line format), and the security one.
apt_uris() {
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    case $f in
    *.sources) sed -n 's/^URIs:[[:space:]]*//p' "$f" | tr ' ' '\n' ;;
    *) sed -n 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\([^[:space:]]\+\).*/\2/p' "$f" ;;
    esac
  done
}
mirror=$(apt_uris | grep -E '^https?://[^ ]*/debian/?$' | head -1 | sed 's:/$::')
security=$(apt_uris | grep -E '^https?://[^ ]*/debian-security/?$' | head -1 | sed 's:/$::')
[ -n "$mirror" ] || { echo "debian13-root: no Debian mirror in the apt sources" >&2; exit 2; }

mkdir -p "$(dirname "$root")"
exec 8>"$root.lock"
flock 8

mounted=()
cleanup() {
  local i
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
    umount "${mounted[i]}" 2>/dev/null || umount -l "${mounted[i]}" 2>/dev/null || true
  done
  mounted=()
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mnt() { # mnt TARGET mount-args...
  local t=$1; shift
  mkdir -p "$t"
  mount "$@" "$t"
  mounted+=("$t")
}
mount_all() {
  mnt "$root/proc" -t proc proc
  mnt "$root/sys" -t sysfs sysfs
  mnt "$root/dev" --bind /dev
  mnt "$root/dev/pts" --bind /dev/pts
  mnt "$root/tp/src" --bind "$src"
  mount -o remount,bind,ro "$root/tp/src"
  # The root shares the host's network: MTR in here must see the port
  # reservations (flock'ed files) of MTR runs outside, and the reverse.
  mkdir -p /tmp/mysql-unique-ids && chmod 1777 /tmp/mysql-unique-ids
  mnt "$root/tmp/mysql-unique-ids" --bind /tmp/mysql-unique-ids
}
in_root() { # the environment a fresh login would have, plus what the lane needs
  chroot "$root" /usr/bin/env -i HOME=/root TERM="${TERM:-dumb}" LANG=C.UTF-8 \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    ${NODE_EXTRA_CA_CERTS:+NODE_EXTRA_CA_CERTS=/tp/host-ca.pem} \
    TP_CTEST_ARGS="${TP_CTEST_ARGS:-}" TP_MTR_PARALLEL="${TP_MTR_PARALLEL:-}" \
    TP_TRIXIE_MTR_ARGS="${TP_TRIXIE_MTR_ARGS:-}" "$@"
}

# Mounts under the root left by a run that was killed (we hold the lock, so
# no other run uses them): unmounted before anything else, and nothing is
# ever deleted while something is mounted under the root.
mounts_under_root() { awk -v r="$root/" 'index($2, r) == 1 { print $2 }' /proc/mounts | sort -r; }
for m in $(mounts_under_root); do
  echo "debian13-root: unmounting $m (left by an earlier run)" >&2
  umount "$m" 2>/dev/null || umount -l "$m"
done
[ -z "$(mounts_under_root)" ] || { echo "debian13-root: mounts remain under $root; not touching it" >&2; exit 1; }

t0=$(date +%s)
if [ ! -f "$root/.tp-complete" ]; then
  command -v debootstrap >/dev/null || { echo "debian13-root: debootstrap missing (apt-get install debootstrap)" >&2; exit 2; }
  if [ ! -f "$root/.tp-debootstrap" ]; then
    rm -rf --one-file-system "$root"
    echo "debian13-root: debootstrap $suite into $root"
    debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$root.debootstrap.log" 2>&1 ||
      { tail -30 "$root.debootstrap.log"; exit 1; }
    {
      echo "deb $mirror $suite main"
      echo "deb $mirror $suite-updates main"
      [ -z "$security" ] || echo "deb $security $suite-security main"
    } >"$root/etc/apt/sources.list"
    # No service starts during package installation (mariadb-server).
    printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
    chmod 755 "$root/usr/sbin/policy-rc.d"
    touch "$root/.tp-debootstrap"
    echo "debian13-root: debootstrap took $(($(date +%s) - t0)) s"
  fi
fi
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -f "$NODE_EXTRA_CA_CERTS" ]; then
  mkdir -p "$root/tp"; cp "$NODE_EXTRA_CA_CERTS" "$root/tp/host-ca.pem"
fi
mount_all
if [ ! -f "$root/.tp-complete" ]; then
  t1=$(date +%s)
  in_root bash /tp/src/scripts/install-deps.sh
  touch "$root/.tp-complete"
  echo "debian13-root: packages took $(($(date +%s) - t1)) s; root ready in $(($(date +%s) - t0)) s"
else
  # Quick when nothing is missing (dpkg-query only).
  in_root bash /tp/src/scripts/install-deps.sh
fi
rc=0
in_root "$@" || rc=$?
exit "$rc"
}
