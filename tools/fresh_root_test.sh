#!/usr/bin/env bash
# The README's promise checked from nothing: a minimal Debian 12 root made by debootstrap, holding
# only what a fresh machine has (g++ 12, cmake, googletest, git, installed without recommended
# packages, so without netbase and its /etc/hosts), a clone of this repository's HEAD, and
# `./run test` run inside it through chroot. Needs root and Debian's archive; about an hour on
# 2 cores. Exits with ./run's status. docs/FRESH_ROOT.md has the last run.
#   tools/fresh_root_test.sh [ROOT]    ROOT must not exist yet (default /var/tmp/dvsync-fresh-root)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
root=${1:-/var/tmp/dvsync-fresh-root}

[ "$(id -u)" -eq 0 ] || { echo "fresh_root_test: needs root (debootstrap, mount, chroot)" >&2; exit 2; }
[ -e "$root" ] && { echo "fresh_root_test: $root exists; remove it (unmount first) or name another" >&2; exit 2; }
command -v debootstrap >/dev/null || { apt-get update -qq && apt-get install -y -qq debootstrap >/dev/null; }

step() { echo "fresh_root_test: $(date -u '+%F %T') $*"; }
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root DEBIAN_FRONTEND=noninteractive "$@"; }

step "debootstrap --variant=minbase bookworm $root"
debootstrap --variant=minbase bookworm "$root" >"$root.debootstrap.log" 2>&1 ||
  { tail -20 "$root.debootstrap.log"; exit 1; }

mounted=()
unmount_all() {
  local i
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[i]}" || true; done
}
trap unmount_all EXIT
# The root on itself, so that "/" in the chroot is a mount point: the disk fault tests make private
# mounts (mount --make-rprivate /), which a plain directory refuses.
mount --bind "$root" "$root" && mounted+=("$root")
mount -t proc proc "$root/proc" && mounted+=("$root/proc")
mount -t sysfs sys "$root/sys" && mounted+=("$root/sys")
mount --bind /dev "$root/dev" && mounted+=("$root/dev")
mount --bind /dev/pts "$root/dev/pts" && mounted+=("$root/dev/pts")

step "apt-get install --no-install-recommends g++ cmake googletest libgtest-dev libgmock-dev git"
in_root apt-get update -qq
in_root apt-get install -y -qq --no-install-recommends g++ cmake googletest libgtest-dev libgmock-dev git >/dev/null

step "git clone $repo ($(git -C "$repo" rev-parse --short HEAD))"
git clone -q "$repo" "$root/root/dvsync"

step "./run deps"
in_root sh -c 'cd /root/dvsync && ./run deps'
if [ -e "$root/etc/hosts" ]; then
  step "/etc/hosts exists after ./run deps: $(tr '\n' ' ' <"$root/etc/hosts")"
else
  step "/etc/hosts is absent; the system resolver has: $(in_root getent hosts localhost || echo 'nothing for localhost')"
fi

step "./run test"
status=0
in_root sh -c 'cd /root/dvsync && ./run test' || status=$?
step "./run test exited $status"
exit "$status"
