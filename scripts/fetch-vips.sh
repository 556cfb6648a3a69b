#!/usr/bin/env bash
# Fetches libvips 8.18 as sharp ships it into $MATTE_RUNTIME/vips (default
# runtime/vips, git-ignored), once, and writes the pkg-config file that bimg
# and transform/vips build against:
#   lib/libvips-cpp.so.8.18.8     npm @img/sharp-libvips-linux-x64 (libvips,
#                                 glib and every codec in one library)
#   include/                      npm @img/sharp-libvips-dev (headers)
#   compat/vips/vips7compat.h     a stand-in for the header bimg includes and
#                                 the package lacks
#   lib/pkgconfig/vips.pc         -I/-L, the rpaths, -DMATTE_VIPS_NPM
#   versions.json                 libvips' and every codec's version
# Both tarballs are pinned by version and sha256; `npm pack` only downloads
# them (no script runs). A second run downloads nothing.
#
# Use it with PKG_CONFIG_PATH=$MATTE_RUNTIME/vips/lib/pkgconfig (the Makefile
# does, unless VIPS=system). The library is found at run time through the
# absolute rpath in vips.pc (go test binaries, bin/caddy in the checkout) and
# the Makefile's $ORIGIN/../runtime/vips/lib (a binary moved together with
# runtime/vips, see README, Building).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
rt="${MATTE_RUNTIME:-$root/runtime}"
mkdir -p "$rt"
# The physical path: a runtime folder reached through a symlink (a second
# checkout linking the first's) is the same folder, not a moved one that
# must be fetched again, and its vips.pc keeps naming a path that exists.
rt="$(cd "$rt" && pwd -P)"
dest="$rt/vips"
dl="$rt/download"

VIPS_LIB_VERSION=8.18.8
VIPS_NPM_VERSION=1.3.5
VIPS_NPM_SHA256=608d489355053a22215a3f6cf0f5741f907c3b5ff38b7fb5c9f4e84e8298e008
# 1.3.4 is the newest -dev published; its headers are libvips 8.18.7's, the
# same API and ABI as the 8.18.8 library.
VIPS_DEV_VERSION=1.3.4
VIPS_DEV_SHA256=e9dd5562c219d44cab7ce811906773a1354b583ed4bfa5115e1cdc954a0290aa

stamp="$dest/.fetched"
# The .pc file holds dest's absolute path: a moved checkout fetches again.
want="linux-x64@$VIPS_NPM_VERSION $VIPS_NPM_SHA256 dev@$VIPS_DEV_VERSION $VIPS_DEV_SHA256 pc=4 $dest"

log() { printf 'fetch-vips: %s\n' "$*" >&2; }

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -f "$dest/lib/libvips-cpp.so.$VIPS_LIB_VERSION" ]; then
  exit 0
fi

# shellcheck source=scripts/npm-pack.sh
. "$root/scripts/npm-pack.sh"

mkdir -p "$dl"
lib_tgz="img-sharp-libvips-linux-x64-$VIPS_NPM_VERSION.tgz"
dev_tgz="img-sharp-libvips-dev-$VIPS_DEV_VERSION.tgz"
npm_pack "@img/sharp-libvips-linux-x64@$VIPS_NPM_VERSION" "$lib_tgz" "$VIPS_NPM_SHA256"
npm_pack "@img/sharp-libvips-dev@$VIPS_DEV_VERSION" "$dev_tgz" "$VIPS_DEV_SHA256"

# Unpack into a fresh folder next to dest, then swap it in: an interrupted
# run never leaves a half-written runtime/vips behind.
tmp="$(mktemp -d "$rt/.vips.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
tar -xzf "$dl/$lib_tgz" -C "$tmp" package/lib package/versions.json
tar -xzf "$dl/$dev_tgz" -C "$tmp" package/include
mkdir -p "$tmp/out/lib/pkgconfig" "$tmp/out/compat/vips"
mv "$tmp/package/lib/libvips-cpp.so.$VIPS_LIB_VERSION" "$tmp/out/lib/"
mv "$tmp/package/lib/glib-2.0" "$tmp/out/lib/"
mv "$tmp/package/include" "$tmp/out/include"
mv "$tmp/package/versions.json" "$tmp/out/versions.json"
rm -f "$tmp/out/include/index.js"
# The library's soname is libvips-cpp.so.8.18.8; -lvips-cpp needs the bare name.
ln -s "libvips-cpp.so.$VIPS_LIB_VERSION" "$tmp/out/lib/libvips-cpp.so"

# bimg includes <vips/vips7compat.h>, which the package does not ship, and
# uses one name from it.
cat >"$tmp/out/compat/vips/vips7compat.h" <<'EOF'
/* Stand-in written by Matte's scripts/fetch-vips.sh: the npm libvips ships
 * no vips7compat.h, and bimg needs only this name from it. */
#ifndef MATTE_VIPS7COMPAT_H
#define MATTE_VIPS7COMPAT_H
#define im__print_all vips_object_print_all
#endif
EOF

# The rpath is this folder's absolute path (go test binaries, bin/caddy in
# the checkout). The Makefile adds \$ORIGIN/../runtime/vips/lib through
# CGO_LDFLAGS: pkg-config cannot print a '$' that go accepts.
# -DMATTE_VIPS_NPM compiles transform/vips' stand-in for
# vips_magickload_buffer, which bimg references and this library (no
# ImageMagick loader) lacks.
cat >"$tmp/out/lib/pkgconfig/vips.pc" <<EOF
prefix=$dest
libdir=\${prefix}/lib
includedir=\${prefix}/include

Name: vips
Description: libvips $VIPS_LIB_VERSION from npm @img/sharp-libvips-linux-x64@$VIPS_NPM_VERSION (fetched by Matte's scripts/fetch-vips.sh)
Version: $VIPS_LIB_VERSION
Libs: -L\${libdir} -lvips-cpp -Wl,-rpath,\${libdir}
Cflags: -DMATTE_VIPS_NPM=1 -I\${prefix}/compat -I\${includedir} -I\${includedir}/glib-2.0 -I\${libdir}/glib-2.0/include
EOF

echo "$want" >"$tmp/out/.fetched"
rm -rf "$dest.old"
[ -e "$dest" ] && mv "$dest" "$dest.old"
mv "$tmp/out" "$dest"
rm -rf "$dest.old" "$dl/$lib_tgz" "$dl/$dev_tgz"
log "ok: libvips $VIPS_LIB_VERSION in $dest"
