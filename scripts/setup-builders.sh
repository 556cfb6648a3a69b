#!/usr/bin/env bash
# Installs the pinned npm URL builders of test/clients/builders (unpic,
# @unpic/core, next, @imgproxy/imgproxy-node; see its README.md) into its
# git-ignored node_modules, which caddymodule/builders_integration_test.go
# runs. Skipped when package-lock.json is unchanged since the last install.
# No package script runs (--ignore-scripts), and next's optional native
# binaries (SWC, sharp) are left out (--omit=optional): the builders are
# plain JavaScript.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=test/clients/builders
stamp="$dir/node_modules/.package-lock.json.installed"
command -v node >/dev/null && command -v npm >/dev/null || scripts/setup-system.sh nodejs npm
if cmp -s "$dir/package-lock.json" "$stamp" && [ -d "$dir/node_modules/unpic" ]; then
  exit 0
fi
echo "setup-builders: installing the pinned URL builders into $dir/node_modules" >&2
rm -rf "$dir/node_modules"
(cd "$dir" && npm ci --ignore-scripts --omit=optional --no-audit --no-fund --registry=https://registry.npmjs.org/ >&2)
cp "$dir/package-lock.json" "$stamp"
