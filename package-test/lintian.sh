#!/usr/bin/env bash
# lintian.sh BUILD_DIR — CTest package/lintian: runs lintian (with info and
# pedantic tags shown, overrides listed) on the .deb built by package/deb.
# Fails on any error or warning, on any hardening-* tag (they are info
# level) and on an unused or mismatched override; then checks the hardening of
# tls_policy.so in the package itself: RELRO segment, BIND_NOW, stack
# protector.  Exits 77 (skipped) only if lintian is not installed
# (scripts/install-deps.sh installs it).
set -euo pipefail
build=$(cd "${1:?usage: lintian.sh BUILD_DIR}" && pwd)
pkg=mariadb-plugin-tls-policy
debs=("$build/${pkg}"_*_"$(dpkg --print-architecture)".deb)
[ -f "${debs[0]}" ] || { echo "lintian: no ${pkg} .deb in $build (run package/deb first)" >&2; exit 1; }
deb=${debs[0]}
command -v lintian >/dev/null || { echo "lintian: not installed (scripts/install-deps.sh); skipped"; exit 77; }
fail=0
bad() { echo "FAIL: $*" >&2; fail=1; }
ok() { echo "ok: $*"; }

echo "$(lintian --version) on $(basename "$deb")"
rc=0
out=$(lintian --info --display-info --pedantic --show-overrides --fail-on error,warning "$deb" 2>&1) || rc=$?
grep -v '^running with root privileges' <<<"$out" || true
tags=$(grep -E '^[EWIPXO]: ' <<<"$out" || true)
[ "$rc" = 0 ] && ! grep -qE '^[EW]: ' <<<"$tags" && ok "no lintian error or warning" ||
  bad "lintian reports errors or warnings (exit $rc)"
if grep -E '^[IPX]: [^ ]+ hardening-' <<<"$tags" >&2; then bad "lintian hardening tags (above)"; else ok "no hardening tag"; fi
if grep -E ' (mismatched|unused)-override ' <<<"$tags" >&2; then bad "an override does not match a tag (above)"; else ok "every override is used"; fi

data=$(mktemp -d "$build/lintian-data.XXXXXX")
trap 'rm -rf "$data"' EXIT
dpkg-deb -x "$deb" "$data"
so=$data/usr/lib/mysql/plugin/tls_policy.so
# (the readelf output is read whole: grep -q under pipefail could SIGPIPE it)
phdr=$(readelf -lW "$so") dyn=$(readelf -dW "$so") syms=$(readelf --dyn-syms -W "$so")
grep -q 'GNU_RELRO' <<<"$phdr" && ok "tls_policy.so: RELRO segment" || bad "tls_policy.so has no GNU_RELRO segment"
grep -qE '\(FLAGS\).*BIND_NOW|\(FLAGS_1\).*NOW' <<<"$dyn" && ok "tls_policy.so: BIND_NOW" || bad "tls_policy.so lacks BIND_NOW (-z now)"
grep -qE ' UND __stack_chk_fail([@ ]|$)' <<<"$syms" && ok "tls_policy.so: stack protector (__stack_chk_fail)" ||
  bad "tls_policy.so does not call __stack_chk_fail (-fstack-protector-strong)"
exit $fail
