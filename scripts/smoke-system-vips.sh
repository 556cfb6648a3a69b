#!/usr/bin/env bash
# Builds Matte against the system's libvips (VIPS=system: Debian's
# libvips-dev) into a temporary folder, runs the pixel tests of transform/
# on it and serves one resize with it, so that this build does not rot while
# `make build` uses the npm libvips. Run by .ci/run after `make test`; about
# 4 minutes on 2 cores (mostly the build).
# It listens on one free port of 127.0.0.1 and sends nothing elsewhere.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
GO="${GO:-$(command -v go || echo /usr/local/go/bin/go)}"
tmp="$(mktemp -d)"
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
log() { printf 'smoke-system-vips: %s\n' "$*" >&2; }

# libvips-dev and pkg-config (as for every build), and curl for the request.
scripts/setup-system.sh curl

# The same environment as the Makefile's VIPS=system, and no npm pkg-config.
unset PKG_CONFIG_PATH CGO_LDFLAGS
export CGO_ENABLED=1 CGO_CFLAGS="-O2 -g -DMATTE_VIPS_BUILD=system"
want="$(pkg-config --modversion vips)"
log "building against the system's libvips $want"
"$GO" build -o "$tmp/caddy" ./cmd/caddy

# The golden pixel tests hold on both builds (issue 15): libvips 8.14
# differs from 8.18 in more than speed (its uchar rank filter, its trim).
log "go test ./transform/... against the system's libvips"
"$GO" test ./transform/...

version="$("$tmp/caddy" matte-version)"
# sed, not head, and a case, not grep -q: a reader that stops early can
# kill printf with SIGPIPE, which pipefail turns into a failed check.
printf '%s\n' "$version" | sed -n 1,2p >&2
case "${version%%$'\n'*}" in
  "libvips $want "*) ;;
  *) log "the binary does not run the system's libvips $want"; exit 1 ;;
esac
case "$version" in *"/runtime/vips/"*) log "the binary loaded the npm libvips"; exit 1 ;; esac

mkdir -p "$tmp/img"
"$GO" run ./scripts/mkdemo -out "$tmp/img" -shared /nonexistent >/dev/null

# A free port: the first one in the range nothing answers on.
port=""
for p in $(seq 18480 18580); do
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then port=$p; break; fi
done
[ -n "$port" ] || { log "no free port in 18480-18580"; exit 1; }

cat >"$tmp/Caddyfile" <<EOF
{
	admin off
	auto_https off
	persist_config off
	default_bind 127.0.0.1
}

http://127.0.0.1:$port {
	matte {
		cache off
	}
	root * $tmp/img
	file_server
}
EOF
"$tmp/caddy" run --config "$tmp/Caddyfile" --adapter caddyfile >"$tmp/caddy.log" 2>&1 &
pid=$!

url="http://127.0.0.1:$port/product.jpg?w=200&fm=webp"
code=""
for _ in $(seq 1 50); do
  code="$(curl -s -o "$tmp/out" -w '%{http_code}' "$url" || true)"
  [ "$code" = 200 ] && break
  sleep 0.2
done
if [ "$code" != 200 ]; then
  log "GET $url answered ${code:-nothing}"; cat "$tmp/caddy.log" >&2; exit 1
fi
# RIFF....WEBP, then the width: VP8X keeps width-1 in 24 bits at offset 24,
# a plain lossy VP8 its 14 bits at offset 26.
magic="$(head -c 16 "$tmp/out" | od -An -c | tr -d ' \n')"
u8() { od -An -tu1 -j"$1" -N1 "$tmp/out" | tr -d ' '; }
case "$magic" in
  RIFF*WEBPVP8X) width=$(( 1 + $(u8 24) + 256 * $(u8 25) + 65536 * $(u8 26) )) ;;
  RIFF*WEBPVP8) width=$(( ($(u8 26) + 256 * $(u8 27)) & 0x3fff )) ;;
  *) log "not a lossy WebP: $magic"; exit 1 ;;
esac
[ "$width" = 200 ] || { log "width $width, want 200"; exit 1; }
log "ok: libvips $want build served a 200-wide WebP"
