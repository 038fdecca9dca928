#!/usr/bin/env bash
# The Debian packages installed into a clean Debian 12 root, as an administrator would install
# them: apt-get install of both .deb files (apt brings their dependencies from Debian's archive),
# then what the packages promise:
#   - postinst created the system user and group dvsync, and `systemd-sysusers` alone recreates
#     them from /usr/lib/sysusers.d/dvsync.conf;
#   - `systemd-analyze verify` accepts the installed units, their ExecStart and their manual page;
#   - `dvsync check-config` accepts the example configuration set up as docs/OPERATIONS.md says,
#     and refuses a secret that others can read;
#   - the manual pages are found by man; the emulator is not in the dvsync package;
#   - the installed dvsync, as user dvsync, syncs the installed emulator's sample;
#   - both packages purge cleanly.
# The root is made by `debootstrap --variant=minbase bookworm` once and kept as a tarball in
# WORK_DIR (tools/bookworm_root.sh: a few minutes the first time); each run unpacks a new root. Everything runs in
# a mount namespace of its own, so no mount outlives the test.
#   deb_install_test.sh WORK_DIR DVSYNC_DEB EMULATOR_DEB
# Needs root and Debian's archive. Exit 77 (skipped) when not root or debootstrap is missing.
set -uo pipefail
work=${1:?usage: deb_install_test.sh WORK_DIR DVSYNC_DEB EMULATOR_DEB}
dvsync_deb=${2:?usage: deb_install_test.sh WORK_DIR DVSYNC_DEB EMULATOR_DEB}
emulator_deb=${3:?usage: deb_install_test.sh WORK_DIR DVSYNC_DEB EMULATOR_DEB}
mirror=${DVSYNC_DEBIAN_MIRROR:-http://deb.debian.org/debian}

step() { echo "deb_install_test: $(date -u '+%T') $*"; }

if [ "${DVSYNC_IN_NAMESPACE:-}" != 1 ]; then
  [ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (debootstrap, chroot, mounts)"; exit 77; }
  command -v debootstrap >/dev/null || { echo "SKIP: debootstrap is not installed (apt-get install debootstrap)"; exit 77; }
  command -v unshare >/dev/null || { echo "SKIP: unshare (util-linux) is not installed"; exit 77; }
  mkdir -p "$work"
  work=$(cd "$work" && pwd)
  cache=$("$(dirname "$0")/../../tools/bookworm_root.sh" "$work") || { echo "FAIL: no Debian 12 root" >&2; exit 1; }
  # The previous run's mounts died with its namespace, so removing its root is safe.
  rm -rf "$work/root"
  mkdir "$work/root"
  step "a new root from $cache"
  tar -C "$work/root" -xf "$cache"
  DVSYNC_IN_NAMESPACE=1 exec unshare --mount --propagation private "$0" "$work" \
    "$(realpath "$dvsync_deb")" "$(realpath "$emulator_deb")"
fi

root=$work/root
mount -t proc proc "$root/proc"
mount -t sysfs sys "$root/sys"
mount --rbind /dev "$root/dev"
cp /etc/resolv.conf "$root/etc/resolv.conf"
# A Debian 12 system's sources: debootstrap writes the release alone.
cat >"$root/etc/apt/sources.list" <<SOURCES
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
SOURCES
mkdir -p "$root/tmp/debs"
cp "$dvsync_deb" "$emulator_deb" "$root/tmp/debs/"
in_root() {
  chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8 \
    DEBIAN_FRONTEND=noninteractive "$@"
}

# pass, fail, finish
. "$(dirname "${BASH_SOURCE[0]}")/tally.sh"

step "apt-get install ./$(basename "$dvsync_deb") ./$(basename "$emulator_deb") man-db"
in_root apt-get update -qq >"$work/apt.log" 2>&1 || { cat "$work/apt.log" >&2; fail "apt-get update"; finish; }
# man-db lets systemd-analyze verify check the units' man:dvsync(8) against the installed page.
if in_root apt-get install -y -q --no-install-recommends "/tmp/debs/$(basename "$dvsync_deb")" \
     "/tmp/debs/$(basename "$emulator_deb")" man-db >>"$work/apt.log" 2>&1; then
  pass "apt-get installs both packages and their dependencies"
else
  tail -30 "$work/apt.log" >&2
  fail "apt-get install (log: $work/apt.log)"
  finish
fi

# The user and group: made by postinst, and by systemd-sysusers alone from the sysusers.d entry.
user_is_right() {
  local entry group
  entry=$(in_root getent passwd dvsync) || return 1
  group=$(in_root id -gn dvsync) || return 1
  [ "$group" = dvsync ] && [ "$(cut -d: -f7 <<<"$entry")" = /usr/sbin/nologin ] &&
    [ "$(cut -d: -f3 <<<"$entry")" -lt 1000 ]
}
if user_is_right; then
  pass "postinst created the system user dvsync (group dvsync, /usr/sbin/nologin): $(in_root getent passwd dvsync)"
else
  fail "no system user dvsync with group dvsync after install: '$(in_root getent passwd dvsync)'"
fi
in_root userdel dvsync >/dev/null 2>&1
in_root groupdel dvsync >/dev/null 2>&1
if in_root getent passwd dvsync >/dev/null; then
  fail "could not remove the user dvsync to test systemd-sysusers"
elif output=$(in_root systemd-sysusers 2>&1) && user_is_right; then
  pass "systemd-sysusers recreates user and group dvsync from /usr/lib/sysusers.d/dvsync.conf ($output)"
else
  fail "systemd-sysusers did not recreate the user dvsync: $output"
fi

# The installed units, as installed: their ExecStart, User= and man:dvsync(8) all exist now.
for unit in dvsync.service dvsync@example.service; do
  output=$(in_root systemd-analyze verify "$unit" 2>&1)
  status=$?
  if [ "$status" -eq 0 ] && [ -z "$output" ]; then
    pass "systemd-analyze verify $unit"
  else
    fail "systemd-analyze verify $unit (exit $status): $output"
  fi
done
grep -q '^ExecStart=/usr/bin/dvsync run --config /etc/dvsync/dvsync.json$' "$root/lib/systemd/system/dvsync.service" &&
  pass "the installed unit starts /usr/bin/dvsync" ||
  fail "the installed unit's ExecStart: $(grep ExecStart= "$root/lib/systemd/system/dvsync.service")"

# docs/OPERATIONS.md's configuration steps, with the example configuration.
in_root sh -c 'install -m 0644 /usr/share/doc/dvsync/examples/dvsync.json /etc/dvsync/dvsync.json &&
               umask 077 && printf "not-a-real-secret" >/etc/dvsync/client_secret'
output=$(in_root dvsync check-config --config /etc/dvsync/dvsync.json 2>&1)
status=$?
if [ "$status" -eq 0 ] && grep -q ': ok (3 tables, database /var/lib/dvsync/mirror.db)' <<<"$output"; then
  pass "dvsync check-config accepts the example: $output"
else
  fail "dvsync check-config on the example (exit $status): $output"
fi
in_root chmod 0644 /etc/dvsync/client_secret
output=$(in_root dvsync check-config --config /etc/dvsync/dvsync.json 2>&1)
status=$?
[ "$status" -eq 78 ] && grep -q 'auth.client_secret_file' <<<"$output" &&
  pass "dvsync check-config refuses a world-readable secret (exit 78)" ||
  fail "dvsync check-config with a world-readable secret (exit $status): $output"

for page in "8 dvsync" "5 dvsync.json" "1 dataverse-emulator"; do
  # shellcheck disable=SC2086 # section and name are two words
  if path=$(in_root man -w $page 2>&1) && [ -f "$root$path" ]; then
    pass "man $page: $path"
  else
    fail "man $page: $path"
  fi
done
if in_root dpkg -L dvsync | grep -q emulator; then
  fail "the dvsync package holds emulator files: $(in_root dpkg -L dvsync | grep emulator)"
else
  pass "the dvsync package holds no emulator file"
fi
[ "$(in_root dpkg -S /usr/bin/dataverse-emulator 2>&1)" = "dataverse-emulator: /usr/bin/dataverse-emulator" ] &&
  pass "/usr/bin/dataverse-emulator belongs to the package dataverse-emulator" ||
  fail "dpkg -S /usr/bin/dataverse-emulator: $(in_root dpkg -S /usr/bin/dataverse-emulator 2>&1)"

# The installed programs run with only what the packages depend on: the emulator serves the sample,
# dvsync syncs it as user dvsync into a state directory like the one StateDirectory= makes.
in_root install -d -o dvsync -g dvsync -m 0750 /var/lib/dvsync
in_root sh -c 'dataverse-emulator --listen 127.0.0.1:0 --port-file /tmp/emulator.port --seed sample \
                 --client-id pkg-test --client-secret pkg-test-secret >/tmp/emulator.log 2>&1 &
               echo $! >/tmp/emulator.pid'
for _ in $(seq 100); do [ -s "$root/tmp/emulator.port" ] && break; sleep 0.1; done
if [ -s "$root/tmp/emulator.port" ]; then
  port=$(cat "$root/tmp/emulator.port")
  cat >"$root/tmp/sync.json" <<CONFIG
{ "dataverse": { "url": "http://127.0.0.1:$port" },
  "auth": { "authority": "http://127.0.0.1:$port", "tenant_id": "pkg", "client_id": "pkg-test" },
  "database": { "path": "/var/lib/dvsync/mirror.db" },
  "tables": [ { "logical_name": "sample_book", "key": "sample_bookcode" } ] }
CONFIG
  output=$(in_root runuser -u dvsync -- sh -c 'umask 0027 && DVSYNC_CLIENT_SECRET=pkg-test-secret \
             exec dvsync once --config /tmp/sync.json' 2>&1)
  status=$?
  if [ "$status" -eq 0 ] && grep -q '^sample_book: initial sync, .*10 rows' <<<"$output"; then
    pass "the installed dvsync, as user dvsync, syncs the installed emulator's 10 sample rows"
  else
    fail "dvsync once against the installed emulator (exit $status): $output"
  fi
  owner=$(in_root stat -c '%U:%G %a' /var/lib/dvsync/mirror.db 2>&1)
  [ "$owner" = "dvsync:dvsync 640" ] && pass "the mirror is dvsync:dvsync 0640 (umask 0027 as in the unit)" ||
    fail "the mirror's owner and mode: $owner"
else
  fail "the installed emulator did not start: $(cat "$root/tmp/emulator.log")"
fi
kill "$(cat "$root/tmp/emulator.pid")" 2>/dev/null

if in_root apt-get purge -y -q dvsync dataverse-emulator >>"$work/apt.log" 2>&1 &&
   [ ! -e "$root/usr/bin/dvsync" ] && [ ! -e "$root/usr/bin/dataverse-emulator" ]; then
  pass "both packages purge cleanly (the user stays: $(in_root getent passwd dvsync | cut -d: -f1))"
else
  fail "apt-get purge (log: $work/apt.log)"
fi
finish
