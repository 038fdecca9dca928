#!/usr/bin/env bash
# What the daemon and docs/OPERATIONS.md rely on in both units, which systemd-analyze cannot know:
# the notify protocol and its watchdog, no restart loop on a bad config, the user and file modes
# that let a readers group query the mirror, and the secret as a credential, never in the unit.
# usage: systemd_units_test.sh SOURCE_DIR
set -uo pipefail
src=${1:?usage: systemd_units_test.sh SOURCE_DIR}
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

expect() {  # expect UNIT REGEX WHY
  grep -Eq "^$2\$" "$src/systemd/$1" || fail "$1: no line matching '$2' ($3)"
}

for unit in dvsync.service dvsync@.service; do
  [ -f "$src/systemd/$unit" ] || { fail "no systemd/$unit"; continue; }
  expect "$unit" 'Type=notify' "the daemon reports READY=1 itself"
  expect "$unit" 'NotifyAccess=main' "only the daemon may report"
  expect "$unit" 'Restart=on-failure' "restart after a crash or a watchdog timeout"
  expect "$unit" 'RestartSec=[0-9]+s?' "pause before a restart"
  expect "$unit" 'RestartPreventExitStatus=78' "exit 78 is a bad config: a restart cannot help"
  expect "$unit" 'WatchdogSec=[1-9][0-9]*(s|min)?' "the daemon pings from its loop"
  expect "$unit" 'TimeoutStopSec=[1-9][0-9]*(s|min)?' "bound a stuck shutdown"
  expect "$unit" 'User=dvsync' "a fixed user owns the mirror"
  expect "$unit" 'Group=dvsync' "the readers group"
  expect "$unit" 'UMask=0027' "database files group-readable, never world-readable"
  expect "$unit" 'StateDirectoryMode=0750' "the readers group may enter the state directory"
  expect "$unit" 'ConfigurationDirectory=dvsync' "the config lives in /etc/dvsync"
  expect "$unit" 'LoadCredential=client_secret:/etc/dvsync/[^ ]+' "the secret arrives as a credential"
  expect "$unit" 'NoNewPrivileges=yes' "hardening"
  expect "$unit" 'ProtectSystem=strict' "hardening: only the state directory is writable"
  grep -Eqi '^Environment=.*(secret|token|password)' "$src/systemd/$unit" \
    && fail "$unit: a secret in Environment= is readable by every user (unit files are world-readable)"
  grep -Eq '^DynamicUser=(yes|true|on|1)$' "$src/systemd/$unit" \
    && fail "$unit: DynamicUser hides the state directory from the readers group"
done

expect dvsync.service 'ExecStart=/usr/bin/dvsync run --config /etc/dvsync/dvsync\.json' "the default config"
expect dvsync.service 'StateDirectory=dvsync' "/var/lib/dvsync"
expect dvsync@.service 'ExecStart=/usr/bin/dvsync run --config /etc/dvsync/%i\.json' "one config per instance"
expect dvsync@.service 'StateDirectory=dvsync/%i' "one state directory per instance"
expect dvsync@.service 'LoadCredential=client_secret:/etc/dvsync/%i\.client_secret' "one secret per instance"

[ "$failures" -eq 0 ] || exit 1
echo "unit invariants hold"
