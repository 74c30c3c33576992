#!/usr/bin/env bash
# deb.sh BUILD_DIR — CTest package/deb: builds the Debian package with
# `cpack -G DEB` in BUILD_DIR and checks it with dpkg-deb: name, version,
# Depends (the exact mariadb-server version installed now, libglib2.0-0,
# libssl3), the file list (nothing more, nothing less), the conffile, the
# maintainer scripts and the example configuration.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:?usage: deb.sh BUILD_DIR}" && pwd)
pkg=mariadb-plugin-tls-policy
arch=$(dpkg --print-architecture)
fail=0
bad() { echo "FAIL: $*" >&2; fail=1; }
ok() { echo "ok: $*"; }

[ -f "$build/tls_policy.so" ] || { echo "deb: $build/tls_policy.so not built" >&2; exit 1; }
cd "$build"
rm -f "$build/${pkg}"_*.deb
cpack -G DEB >"$build/cpack-deb.log" 2>&1 || { cat "$build/cpack-deb.log" >&2; exit 1; }
debs=("$build/${pkg}"_*_"$arch".deb)
[ "${#debs[@]}" = 1 ] && [ -f "${debs[0]}" ] || { echo "deb: expected one ${pkg}_*_$arch.deb in $build, got: ${debs[*]}" >&2; exit 1; }
deb=${debs[0]}
echo "package: $deb"
dpkg-deb -I "$deb"

field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = "$pkg" ] && ok "Package: $pkg" || bad "Package is '$(field Package)'"
[ "$(field Architecture)" = "$arch" ] && ok "Architecture: $arch" || bad "Architecture is '$(field Architecture)'"
version=$(field Version)
[ "$(basename "$deb")" = "${pkg}_${version}_${arch}.deb" ] && ok "file name matches Version $version" ||
  bad "file name $(basename "$deb") does not match Version $version"

# Depends: exact server version as installed now (a stale configure shows here).
depends=$(field Depends)
server=$(dpkg-query -W -f='${Version}' mariadb-server)
grep -qF "mariadb-server (= $server)" <<<"$depends" && ok "Depends pins mariadb-server (= $server)" ||
  bad "Depends '$depends' lacks 'mariadb-server (= $server)' (re-run cmake after a server upgrade)"
# Debian 13 renamed the libraries for 64-bit time_t (libglib2.0-0t64, libssl3t64).
for lib in libglib2.0-0 libssl3 libc6; do
  grep -qE "(^|, )$lib(t64)?( |,|$)" <<<"$depends" && ok "Depends names $lib" || bad "Depends '$depends' lacks $lib"
done

# Contents: exactly these files (directories aside), owned by root.
listing=$(dpkg-deb -c "$deb")
if awk '{print $2}' <<<"$listing" | grep -qv '^root/root$'; then bad "files not owned by root/root"; else ok "all entries root/root"; fi
plugindir=$(mariadbd --no-defaults --verbose --help 2>/dev/null | awk '$1=="plugin-dir"{sub("/$","",$2); print $2}')
[ "$plugindir" = /usr/lib/mysql/plugin ] || bad "mariadbd's plugin dir is '$plugindir', the package uses /usr/lib/mysql/plugin"
expected=(
  "./usr/lib/mysql/plugin/tls_policy.so"
  "./etc/mysql/mariadb.conf.d/60-tls-policy.cnf"
  "./usr/share/doc/$pkg/README.md"
  "./usr/share/doc/$pkg/copyright"
  "./usr/share/doc/$pkg/changelog.gz"
)
# The lintian override of hardening-no-fortify-functions ships only when the
# library calls no fortified libc function (cmake/Package.cmake).
syms=$(readelf --dyn-syms -W "$build/tls_policy.so")
grep -qE ' UND __[a-z0-9_]+_chk([@ ]|$)' <<<"$syms" || expected+=("./usr/share/lintian/overrides/$pkg")
for f in "$src"/sql/*.sql; do expected+=("./usr/share/$pkg/$(basename "$f")"); done
for f in "$src"/docs/*.md; do expected+=("./usr/share/doc/$pkg/$(basename "$f")"); done
actual=$(awk '$1 !~ /^d/ {print $NF}' <<<"$listing" | sort)
want=$(printf '%s\n' "${expected[@]}" | sort)
if [ "$actual" = "$want" ]; then
  ok "contents: ${#expected[@]} files as expected"
else
  bad "contents differ (< expected, > in the package):"; diff <(echo "$want") <(echo "$actual") >&2 || true
fi
grep -E ' \./usr/lib/mysql/plugin/tls_policy\.so$' <<<"$listing" | grep -q '^-rw-r--r--' &&
  ok "tls_policy.so mode 0644" || bad "tls_policy.so is not mode 0644"

# Control area: conffile, maintainer scripts.
ctl=$(mktemp -d "$build/deb-control.XXXXXX")
trap 'rm -rf "$ctl"' EXIT
dpkg-deb -e "$deb" "$ctl"
[ "$(cat "$ctl/conffiles")" = /etc/mysql/mariadb.conf.d/60-tls-policy.cnf ] && ok "conffiles: the example configuration" ||
  bad "conffiles is '$(cat "$ctl/conffiles" 2>/dev/null)'"
for s in prerm postinst; do
  if [ -x "$ctl/$s" ] && sh -n "$ctl/$s" && ! grep -q '@[A-Z_]*@' "$ctl/$s"; then ok "$s: executable, valid sh"; else bad "$s missing, not executable, unconfigured or not valid sh"; fi
done
[ -f "$ctl/md5sums" ] && ok "md5sums present" || bad "no md5sums"

# The example configuration: every option commented out, parseable.
data=$(mktemp -d "$build/deb-data.XXXXXX")
trap 'rm -rf "$ctl" "$data"' EXIT
dpkg-deb -x "$deb" "$data"
cnf=$data/etc/mysql/mariadb.conf.d/60-tls-policy.cnf
active=$(grep -vE '^[[:space:]]*(#|$|\[)' "$cnf" || true)
[ -z "$active" ] && ok "60-tls-policy.cnf: every option commented out" || bad "60-tls-policy.cnf has active lines: $active"
[ -z "$(my_print_defaults --defaults-file="$cnf" mariadb mysqld)" ] && ok "60-tls-policy.cnf parses and sets nothing" ||
  bad "my_print_defaults finds options in 60-tls-policy.cnf"
if readelf -S "$data/usr/lib/mysql/plugin/tls_policy.so" | grep -qE '\.(debug_info|symtab)'; then
  bad "tls_policy.so not stripped"; else ok "tls_policy.so stripped"; fi
exit $fail
