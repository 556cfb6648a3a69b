#!/usr/bin/env bash
# Installs the official API clients the client tests drive, unmodified:
# test/clients/*/ each pin theirs in package-lock.json (versions and sha512
# integrity), and `npm ci --ignore-scripts` installs exactly that, running no
# install script, into the folder's git-ignored node_modules. A folder whose
# lock has not changed since its last install is left alone (no download).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v npm >/dev/null || scripts/setup-system.sh nodejs npm
for dir in test/clients/*/; do
  [ -f "$dir/package-lock.json" ] || continue
  stamp="$dir/node_modules/.matte-lock"
  if [ -d "$dir/node_modules" ] && cmp -s "$dir/package-lock.json" "$stamp"; then
    continue
  fi
  echo "setup-clients: npm ci --ignore-scripts in $dir" >&2
  (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
  cp "$dir/package-lock.json" "$stamp"
done
