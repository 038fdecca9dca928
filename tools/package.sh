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

# Every program must carry what Debian's hardening flags give (./run package builds with them),
# read from the ELF files as lintian and hardening-check read them: a position-independent
# executable, read-only relocations bound at start (GNU_RELRO and BIND_NOW), the stack protector
# (__stack_chk_fail) and fortified libc calls (__*_chk).
echo "== hardening"
unpacked=$build/packages/unpacked
hardening_failed=0
for deb in "${debs[@]}"; do
  rm -rf "$unpacked" && dpkg-deb -x "$deb" "$unpacked"
  mapfile -t programs < <(find "$unpacked" -type f -perm -u+x -exec sh -c 'head -c4 "$1" | grep -q ELF' _ {} \; -print)
  # A package of dvsync's without a program means the check looked in the wrong place.
  [ "${#programs[@]}" -gt 0 ] || { echo "package: no program found in $(basename "$deb")" >&2; exit 1; }
  for program in "${programs[@]}"; do
    missing=()
    # Captured first: grep -q stops reading early, which would fail the pipe under pipefail.
    header=$(readelf -hW "$program") segments=$(readelf -lW "$program") dynamic=$(readelf -dW "$program")
    symbols=$(readelf --dyn-syms -W "$program")
    grep -q 'Type:[[:space:]]*DYN' <<<"$header" || missing+=(pie)
    grep -q 'GNU_RELRO' <<<"$segments" || missing+=(relro)
    grep -Eq 'BIND_NOW|FLAGS_1.*NOW' <<<"$dynamic" || missing+=(bindnow)
    grep -q '__stack_chk_fail' <<<"$symbols" || missing+=(stackprotector)
    grep -Eq '__[a-z0-9_]+_chk(@| )' <<<"$symbols" || missing+=(fortify)
    if [ "${#missing[@]}" -eq 0 ]; then
      echo "$(basename "$deb"): ${program#"$unpacked"}: pie relro bindnow stackprotector fortify"
    else
      echo "$(basename "$deb"): ${program#"$unpacked"}: missing ${missing[*]}" >&2
      hardening_failed=1
    fi
  done
done
rm -rf "$unpacked"
[ "$hardening_failed" -eq 0 ] || { echo "package: a program lacks Debian's hardening (see above)" >&2; exit 1; }

# Every tag lintian finds is shown; only errors fail (its --fail-on default, stated here).
echo "== lintian"
lintian --fail-on error --display-info --show-overrides --tag-display-limit 0 "${debs[@]}" && echo "lintian: no errors"

if [ "$test_install" = yes ]; then
  "$root/tests/packaging/deb_install_test.sh" "$build/package-test" "${debs[@]}"
fi
