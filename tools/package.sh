#!/usr/bin/env bash
# ./run package [--test]: the Debian packages dvsync and dataverse-emulator, built by cpack from
# BUILD_DIR (configured by ./run: Release, prefix /usr, units in /lib/systemd/system) into
# BUILD_DIR/packages, then checked by lintian, which must report no error. With --test, they are
# installed into a clean Debian 12 root as well (tests/packaging/deb_install_test.sh).
#   tools/package.sh BUILD_DIR [--test]
set -euo pipefail
build=${1:?usage: tools/package.sh BUILD_DIR [--test]}
shift
build=$(cd "$build" && pwd)
root=$(cd "$(dirname "$0")/.." && pwd)
test_install=no
for arg in "$@"; do
  case "$arg" in
    --test) test_install=yes ;;
    *) echo "package: unknown option '$arg' (usage: ./run package [--test])" >&2; exit 2 ;;
  esac
done

out=$build/packages
rm -rf "$out"
(cd "$build" && cpack --config CPackConfig.cmake -B "$out" >"$build/cpack.log" 2>&1) ||
  { cat "$build/cpack.log" >&2; exit 1; }
mapfile -t debs < <(find "$out" -maxdepth 1 -name '*.deb' | sort)
[ "${#debs[@]}" -eq 2 ] || { echo "package: expected 2 packages in $out, found ${#debs[@]}" >&2; exit 1; }
for deb in "${debs[@]}"; do
  echo "== $(basename "$deb")"
  dpkg-deb --field "$deb" Package Version Architecture Depends Installed-Size
done

# Every tag lintian finds is shown; only errors fail (its --fail-on default, stated here).
echo "== lintian"
lintian --fail-on error --display-info --show-overrides --tag-display-limit 0 "${debs[@]}" && echo "lintian: no errors"

if [ "$test_install" = yes ]; then
  "$root/tests/packaging/deb_install_test.sh" "$build/package-test" "${debs[@]}"
fi
