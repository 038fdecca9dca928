#!/usr/bin/env bash
# `systemd-analyze security --offline=true` must rate both units' exposure at 2.0 or lower.
# usage: systemd_security_test.sh SOURCE_DIR    (exit 77: skipped, no systemd-analyze)
set -uo pipefail
src=${1:?usage: systemd_security_test.sh SOURCE_DIR}
limit=2.0
command -v systemd-analyze >/dev/null || { echo "SKIP: systemd-analyze is not installed"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0

for unit in dvsync.service dvsync@.service; do
  copy=$work/${unit/@./@example.}
  cp "$src/systemd/$unit" "$copy"
  output=$(systemd-analyze security --offline=true --no-pager "$copy" 2>&1)
  exposure=$(sed -nE 's/.*Overall exposure level for [^:]+: ([0-9]+(\.[0-9]+)?).*/\1/p' <<<"$output")
  if [ -z "$exposure" ]; then
    echo "FAIL: $unit: no 'Overall exposure level' line in:" >&2
    echo "$output" >&2
    failures=$((failures + 1))
  elif awk -v e="$exposure" -v l="$limit" 'BEGIN { exit !(e > l) }'; then
    echo "FAIL: $unit: exposure $exposure is above $limit; what counts:" >&2
    grep -E ' [0-9]+\.[0-9]+ *$' <<<"$output" | grep -v 'Overall' >&2
    failures=$((failures + 1))
  else
    echo "ok: $unit exposure $exposure (limit $limit)"
  fi
done
[ "$failures" -eq 0 ]
