#!/usr/bin/env bash
# A clean Debian 12 root as a tarball, made once by `debootstrap --variant=minbase bookworm` (a few
# minutes) and kept in CACHE_DIR for the next runs; prints its path. Used by the package install
# test and, as the Debian base images, by the container test. Needs root and Debian's archive.
#   tools/bookworm_root.sh CACHE_DIR
set -euo pipefail
cache_dir=${1:?usage: tools/bookworm_root.sh CACHE_DIR}
mirror=${DVSYNC_DEBIAN_MIRROR:-http://deb.debian.org/debian}
mkdir -p "$cache_dir"
cache_dir=$(cd "$cache_dir" && pwd)
tarball=$cache_dir/bookworm-minbase.tar
if [ ! -s "$tarball" ]; then
  command -v debootstrap >/dev/null || { echo "bookworm_root: debootstrap is not installed" >&2; exit 1; }
  echo "bookworm_root: debootstrap --variant=minbase bookworm, kept as $tarball" >&2
  rm -rf "$cache_dir/bootstrap"
  if ! debootstrap --variant=minbase bookworm "$cache_dir/bootstrap" "$mirror" >"$cache_dir/debootstrap.log" 2>&1; then
    tail -20 "$cache_dir/debootstrap.log" >&2
    echo "bookworm_root: debootstrap failed (log: $cache_dir/debootstrap.log)" >&2
    exit 1
  fi
  tar -C "$cache_dir/bootstrap" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
  rm -rf "$cache_dir/bootstrap"
fi
echo "$tarball"
