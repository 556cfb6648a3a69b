#!/usr/bin/env bash
# Installs the npm packages the client tests drive, unmodified: the official
# API clients (test/clients/rembgjs) and the image-URL builders and framework
# loaders (test/clients/builders). Each folder pins its packages in
# package-lock.json (versions and sha512 integrity), and `npm ci
# --ignore-scripts` installs exactly that, running no install script, into
# the folder's git-ignored node_modules; optional native binaries (next's SWC
# and sharp) are left out (--omit=optional): the tests run plain JavaScript.
# A folder whose lock has not changed since its last install is left alone
# (no download).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v node >/dev/null && command -v npm >/dev/null || scripts/setup-system.sh nodejs npm
for dir in test/clients/*/; do
  dir=${dir%/}
  [ -f "$dir/package-lock.json" ] || continue
  stamp="$dir/node_modules/.matte-lock"
  if [ -d "$dir/node_modules" ] && cmp -s "$dir/package-lock.json" "$stamp"; then
    continue
  fi
  echo "setup-clients: npm ci --ignore-scripts in $dir" >&2
  rm -rf "$dir/node_modules"
  (cd "$dir" && npm ci --ignore-scripts --omit=optional --no-audit --no-fund --loglevel=error >&2)
  cp "$dir/package-lock.json" "$stamp"
done
