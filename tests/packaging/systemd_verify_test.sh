#!/usr/bin/env bash
# `systemd-analyze verify` on both units. verify insists that ExecStart's binary exists, so it runs
# on copies whose ExecStart names an executable of this machine, the template as an instance.
# verify exits 0 after mere warnings (an unknown key, a value it cannot parse), so any output fails.
# usage: systemd_verify_test.sh SOURCE_DIR    (exit 77: skipped, no systemd-analyze)
set -uo pipefail
src=${1:?usage: systemd_verify_test.sh SOURCE_DIR}
command -v systemd-analyze >/dev/null || { echo "SKIP: systemd-analyze is not installed"; exit 77; }
stand_in=$(command -v true)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0

for unit in dvsync.service dvsync@.service; do
  copy=$work/${unit/@./@example.}
  grep -q '^ExecStart=/usr/bin/dvsync run --config ' "$src/systemd/$unit" \
    || { echo "FAIL: $unit: ExecStart must be '/usr/bin/dvsync run --config ...'" >&2; failures=$((failures + 1)); continue; }
  sed "s#^ExecStart=/usr/bin/dvsync #ExecStart=$stand_in #" "$src/systemd/$unit" >"$copy"
  output=$(systemd-analyze verify --man=no "$copy" 2>&1)
  status=$?
  if [ "$status" -ne 0 ] || [ -n "$output" ]; then
    echo "FAIL: systemd-analyze verify $unit (exit $status):" >&2
    echo "$output" >&2
    failures=$((failures + 1))
  else
    echo "ok: $unit verifies cleanly"
  fi
done
[ "$failures" -eq 0 ]
