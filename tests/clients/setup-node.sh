#!/usr/bin/env bash
# setup-node.sh BUILD_DIR — installs node's mysql2 (the version pinned in
# tests/clients/node/package-lock.json) into BUILD_DIR/node/node_modules,
# for tests/clients/client_node.js.  Idempotent and quick when nothing
# changed (a stamp holds the lockfile's checksum); concurrent callers are
# serialized with flock.  Uses npm's configured registry (nothing here names
# one).  Prints the node_modules path on success.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: setup-node.sh BUILD_DIR}
dest=$build/node
mkdir -p "$dest"
exec 9>"$dest/.lock"
flock 9
sum=$(cat "$here/node/package.json" "$here/node/package-lock.json" | sha256sum | cut -d' ' -f1)
if [ "$(cat "$dest/.stamp" 2>/dev/null || true)" != "$sum" ] || [ ! -d "$dest/node_modules/mysql2" ]; then
  command -v npm >/dev/null || { echo "setup-node: npm missing (scripts/install-deps.sh installs it)" >&2; exit 1; }
  rm -f "$dest/.stamp"
  cp "$here/node/package.json" "$here/node/package-lock.json" "$dest/"
  npm ci --prefix "$dest" --no-audit --no-fund --omit=peer --loglevel=error >"$dest/npm.log" 2>&1 ||
    { echo "setup-node: npm ci failed:" >&2; cat "$dest/npm.log" >&2; exit 1; }
  echo "$sum" >"$dest/.stamp"
fi
echo "$dest/node_modules"
