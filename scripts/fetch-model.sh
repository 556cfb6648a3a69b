#!/usr/bin/env bash
# Downloads an optional segmentation model into runtime/models (git-ignored):
#   scripts/fetch-model.sh NAME          or   make model NAME=u2net
# NAME is one of the presets below; isnet and isnet-int8 come with
# `make runtime` instead.
#
# Hashes, honestly: rembg publishes only MD5 sums for its models (pinned in
# its sources, rembg/sessions/*.py, pooch "md5:" strings); they are copied
# below verbatim and checked. No SHA-256 is published for them, and we could
# not download the files to compute one, so none is pinned here; the script
# prints the SHA-256 of what it installed so you can pin it yourself (a
# custom model's "sha256", or SHA256=... on the next run).
# MODNet has no published hash at all: it is only installed when you give
# SHA256=<hex> that you verified out of band, or ALLOW_UNPINNED=1 (trust on
# first use; the hash is printed).
#
# Environment: MATTE_RUNTIME (default <repo>/runtime), SHA256 (optional extra
# pin, checked for any model), ALLOW_UNPINNED=1 (see above).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
rt="${MATTE_RUNTIME:-$root/runtime}"
models="$rt/models"

# name|file|url|md5 ("-": none published). Keep in sync with
# segment/preset.go (a test checks it).
MODELS='
u2net|u2net.onnx|https://github.com/danielgatis/rembg/releases/download/v0.0.0/u2net.onnx|60024c5c889badc19c04ad937298a77b
u2netp|u2netp.onnx|https://github.com/danielgatis/rembg/releases/download/v0.0.0/u2netp.onnx|8e83ca70e441ab06c318d82300c84806
u2net_human_seg|u2net_human_seg.onnx|https://github.com/danielgatis/rembg/releases/download/v0.0.0/u2net_human_seg.onnx|c09ddc2e0104f800e3e1bb4652583d1f
silueta|silueta.onnx|https://github.com/danielgatis/rembg/releases/download/v0.0.0/silueta.onnx|55e59e0d8062d2f5d013f4725ee84782
isnet-general-use|isnet-general-use.onnx|https://github.com/danielgatis/rembg/releases/download/v0.0.0/isnet-general-use.onnx|fc16ebd8b0c10d971d3513d564d01e29
birefnet-general|BiRefNet-general-epoch_244.onnx|https://github.com/danielgatis/rembg/releases/download/v0.0.0/BiRefNet-general-epoch_244.onnx|7a35a0141cbbc80de11d9c9a28f52697
birefnet-general-lite|BiRefNet-general-bb_swin_v1_tiny-epoch_232.onnx|https://github.com/danielgatis/rembg/releases/download/v0.0.0/BiRefNet-general-bb_swin_v1_tiny-epoch_232.onnx|4fab47adc4ff364be1713e97b7e66334
birefnet-portrait|BiRefNet-portrait-epoch_150.onnx|https://github.com/danielgatis/rembg/releases/download/v0.0.0/BiRefNet-portrait-epoch_150.onnx|c3a64a6abf20250d090cd055f12a3b67
modnet|modnet.onnx|https://huggingface.co/Xenova/modnet/resolve/main/onnx/model.onnx|-
'

log() { printf 'fetch-model: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

usage() {
  log "usage: $0 NAME   (make model NAME=...)"
  log "names: $(printf '%s\n' "$MODELS" | cut -d'|' -f1 | xargs)"
  log "isnet and isnet-int8 are installed by \`make runtime\`"
  exit 2
}

name="${1:-}"
[ -n "$name" ] || usage
case "$name" in
  isnet|isnet-int8) die "$name comes with \`make runtime\` (scripts/fetch-runtime.sh)";;
esac
line="$(printf '%s\n' "$MODELS" | grep -E "^${name//./\\.}\|" || true)"
[ -n "$line" ] || { log "unknown model '$name'"; usage; }
IFS='|' read -r _ file url md5 <<<"$line"

want_sha="${SHA256:-}"
want_sha="$(printf '%s' "$want_sha" | tr 'A-F' 'a-f')"
if [ -n "$want_sha" ] && ! [[ "$want_sha" =~ ^[0-9a-f]{64}$ ]]; then
  die "SHA256 must be 64 hex digits"
fi
if [ "$md5" = "-" ] && [ -z "$want_sha" ] && [ "${ALLOW_UNPINNED:-}" != 1 ]; then
  die "$name has no published hash; run with SHA256=<hex you verified> or ALLOW_UNPINNED=1 (trust on first use)"
fi

# check FILE: 0 when every pin we have matches.
check() {
  [ -f "$1" ] || return 1
  if [ "$md5" != "-" ] && [ "$(md5sum "$1" | cut -d' ' -f1)" != "$md5" ]; then
    log "md5 mismatch for $1 (want $md5, got $(md5sum "$1" | cut -d' ' -f1))"
    return 1
  fi
  if [ -n "$want_sha" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" != "$want_sha" ]; then
    log "sha256 mismatch for $1 (want $want_sha, got $(sha256sum "$1" | cut -d' ' -f1))"
    return 1
  fi
  return 0
}

mkdir -p "$models"
out="$models/$file"
if [ -f "$out" ] && check "$out"; then
  log "ok: $out already present (sha256 $(sha256sum "$out" | cut -d' ' -f1))"
  exit 0
fi

command -v curl >/dev/null || die "curl is required"
log "downloading $name from $url"
rm -f "$out.part"
curl -fL --retry 3 --retry-delay 2 --proto '=https' --tlsv1.2 -o "$out.part" "$url" \
  || { rm -f "$out.part"; die "download failed: $url"; }
if ! check "$out.part"; then
  rm -f "$out.part"
  die "checksum mismatch: $name not installed"
fi
mv "$out.part" "$out"
sha="$(sha256sum "$out" | cut -d' ' -f1)"
if [ "$md5" = "-" ] && [ -z "$want_sha" ]; then
  log "WARNING: $name installed UNVERIFIED (no published hash): sha256 $sha"
else
  how=""
  [ "$md5" = "-" ] || how="md5 $md5"
  [ -z "$want_sha" ] || how="${how:+$how, }sha256"
  log "ok: $out (verified: $how); sha256 $sha"
fi
