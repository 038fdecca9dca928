#!/usr/bin/env bash
# systemd/dvsync.sysusers applied by systemd-sysusers to an empty root: it must be accepted (a
# colon in the GECOS text, for one, makes the package's postinst fail) and make the locked system
# user dvsync, primary group dvsync, shell /usr/sbin/nologin; applying it again changes nothing.
# usage: sysusers_test.sh SOURCE_DIR    (exit 77: skipped, no systemd-sysusers)
set -uo pipefail
src=${1:?usage: sysusers_test.sh SOURCE_DIR}
command -v systemd-sysusers >/dev/null || { echo "SKIP: systemd-sysusers is not installed"; exit 77; }
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
# Installed where the package puts it, and named as its postinst names it.
mkdir -p "$root/etc" "$root/usr/lib/sysusers.d"
cp "$src/systemd/dvsync.sysusers" "$root/usr/lib/sysusers.d/dvsync.conf"
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

output=$(systemd-sysusers --root="$root" dvsync.conf 2>&1) || fail "systemd-sysusers refused it: $output"
grep -qi 'not a valid\|failed\|ignoring' <<<"$output" && fail "systemd-sysusers complained: $output"
entry=$(grep '^dvsync:' "$root/etc/passwd")
group=$(grep '^dvsync:' "$root/etc/group")
IFS=: read -r _ _ uid gid _ _ shell <<<"$entry"
IFS=: read -r _ _ group_id _ <<<"$group"
[ -n "$entry" ] || fail "no user dvsync in $(cat "$root/etc/passwd" 2>&1)"
[ -n "$group" ] || fail "no group dvsync"
[ "${gid:-x}" = "${group_id:-y}" ] || fail "the user's primary group is $gid, the group dvsync is $group_id"
[ "${shell:-}" = /usr/sbin/nologin ] || fail "shell is '${shell:-}'"
[ "${uid:-1000}" -lt 1000 ] || fail "uid $uid is not a system uid"
grep -q '^dvsync:!' "$root/etc/shadow" 2>/dev/null || fail "the account is not locked: $(grep '^dvsync:' "$root/etc/shadow" 2>&1)"
before=$(cat "$root/etc/passwd" "$root/etc/group")
systemd-sysusers --root="$root" dvsync.conf >/dev/null 2>&1
[ "$before" = "$(cat "$root/etc/passwd" "$root/etc/group")" ] || fail "applying it twice changed the user database"

[ "$failures" -eq 0 ] || exit 1
echo "sysusers entry holds: $entry"
