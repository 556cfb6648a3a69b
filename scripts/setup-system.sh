#!/usr/bin/env bash
# Installs the Debian packages Matte builds against, only when missing.
# Runs apt-get as root, or through sudo when it is available.
set -euo pipefail
pkgs=(libvips-dev pkg-config)
pkgs+=(gcc libc6-dev)  # every build is cgo (CGO_ENABLED=1): the C compiler and libc's headers
pkgs+=(libheif1)     # HEIC on the npm libvips build (transform/vips/heif.c opens it at run time)
pkgs+=(chromium)      # the playground's browser test (caddymodule/playground_browser_test.go)
pkgs+=(redis-server)  # the shared tier's tests and `make cluster`
pkgs+=(fontconfig fonts-dejavu-core)  # txt: the fonts libvips' text rendering finds
# node and npm fetch the runtime (scripts/fetch-runtime.sh: `npm pack`, `node -e`)
# and install the client tests' packages. Checked by command, not package: a
# node from elsewhere (NodeSource's nodejs bundles npm) is kept, never
# replaced by Debian's.
command -v node >/dev/null && command -v npm >/dev/null || pkgs+=(nodejs npm)
[ "$#" -gt 0 ] && pkgs+=("$@")
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ "${#missing[@]}" -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "setup-system: installing ${missing[*]}" >&2
$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
