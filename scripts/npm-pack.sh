# Sourced by scripts/fetch-runtime.sh and scripts/fetch-vips.sh, which define
# log() and $dl (the download folder) first.

sha_ok() { # FILE SHA256
  [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]
}

# npm_pack SPEC FILE SHA256: downloads the package tarball into $dl without
# running any script, and exits unless its sha256 is SHA256.
npm_pack() {
  local spec="$1" file="$2" sum="$3"
  if sha_ok "$dl/$file" "$sum"; then return 0; fi
  log "npm pack $spec"
  rm -f "$dl/$file"
  (cd "$dl" && npm pack "$spec" --ignore-scripts --loglevel=error >/dev/null)
  if ! sha_ok "$dl/$file" "$sum"; then
    log "checksum mismatch for $file (want $sum, got $(sha256sum "$dl/$file" | cut -d' ' -f1))"
    rm -f "$dl/$file"
    exit 1
  fi
}
