#!/usr/bin/env bash
# ./run bench [--rows N,...] [--repeat K] [--wide-rows N] [--wide-only | --tables-only | --verify-only]: called by ./run with the Release build directory.
# Writes docs/PERFORMANCE.md and docs/performance.png; see bench/bench.py.
set -euo pipefail
build=${1:?usage: bench/run.sh BUILD_DIR [--rows N,...] [--repeat K] [--wide-rows N] [--wide-only]}
shift
root=$(cd "$(dirname "$0")/.." && pwd)
# Debian's interpreter: python3-requests and python3-matplotlib come from tools/packages.txt.
# --tables-only [OPTIONS]: only the many-tables benchmark (bench/tables.py --help for its options).
# --feed-only [OPTIONS]: only the cost of the change feed and the modes (bench/feed.py --help).
if [ "${1:-}" = "--feed-only" ]; then
  shift
  exec /usr/bin/python3 "$root/bench/feed.py" --build "$build" "$@"
fi
# --verify-only [--rows N] [--drift K]: only the cost of dvsync verify (bench/verify.py --help).
if [ "${1:-}" = "--verify-only" ]; then
  shift
  exec /usr/bin/python3 "$root/bench/verify.py" --build "$build" "$@"
fi
if [ "${1:-}" = "--tables-only" ]; then
  shift
  exec /usr/bin/python3 "$root/bench/tables.py" --build "$build" "$@"
fi
exec /usr/bin/python3 "$root/bench/bench.py" --build "$build" "$@"
