#!/bin/sh
# Builds target/patched/<crate>: the pinned crates.io source of every crate that has a directory
# here, with that directory's *.patch files applied in name order. Cargo.toml's [patch.crates-io]
# points at these copies. Each directory's SOURCE file names the version and the .crate's SHA-256
# (the checksum Cargo.lock recorded before the patch replaced it).
#
# Idempotent: a copy is rebuilt only when its SOURCE or patches change (a stamp records them), so
# cargo sees no change otherwise. Offline after the first run: the .crate comes from cargo's own
# download cache when it is there, else from our cache, else from static.crates.io into our cache.
set -eu
cd "$(dirname "$0")/.."
out=target/patched
cache=${XDG_CACHE_HOME:-$HOME/.cache}/wasipy/crates
mkdir -p "$out" "$cache"
for dir in patches/*/; do
  crate=$(basename "$dir")
  read -r version sha256 < "$dir/SOURCE"
  stamp=$(cat "$dir/SOURCE" "$dir"/*.patch | sha256sum | cut -d' ' -f1)
  dest=$out/$crate
  [ "$(cat "$dest/.wasipy-patches" 2>/dev/null)" = "$stamp" ] && continue

  file=$(ls "${CARGO_HOME:-$HOME/.cargo}"/registry/cache/*/"$crate-$version.crate" 2>/dev/null | head -n1 || true)
  if [ -z "$file" ]; then
    file=$cache/$crate-$version.crate
    if [ ! -f "$file" ]; then
      curl -sSfL -o "$file.part" "https://static.crates.io/crates/$crate/$crate-$version.crate" \
        || { echo "prepare.sh: failed to download $crate $version from static.crates.io" >&2; exit 1; }
      mv "$file.part" "$file"
    fi
  fi
  echo "$sha256  $file" | sha256sum -c --quiet - \
    || { echo "prepare.sh: $file does not have the SHA-256 in $dir/SOURCE" >&2; exit 1; }

  rm -rf "$dest.tmp" && mkdir -p "$dest.tmp"
  # --touch: every file is new, so cargo rebuilds the crate even when a patch is taken away.
  tar -xzf "$file" -C "$dest.tmp" --strip-components=1 --touch
  for patch in "$dir"/*.patch; do
    patch -d "$dest.tmp" -p1 --quiet --forward --no-backup-if-mismatch < "$patch" \
      || { echo "prepare.sh: failed to apply $patch to $crate $version" >&2; exit 1; }
  done
  echo "$stamp" > "$dest.tmp/.wasipy-patches"
  rm -rf "$dest" && mv "$dest.tmp" "$dest"
  echo "prepare.sh: $crate $version with $(ls "$dir"/*.patch | wc -l) patch(es) in $dest"
done
