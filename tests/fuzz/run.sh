#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (build-fuzz/) and runs each one for a while.
#   tests/fuzz/run.sh [--seconds N] [--build-dir DIR] [--report] [TARGET...]
# --seconds N   time per target (default 10: the short run of ./run test)
# --report      write the figures to docs/RELIABILITY.md (a "## Fuzzing" section) when that file
#               exists, otherwise to docs/FUZZING.md
# TARGET        page_parser, retry_after, links, config (default: all)
# Prints executions, coverage and crashes per target; exits 1 when any target found a crash, leak,
# timeout or out-of-memory input (saved under build-fuzz/artifacts/<target>/).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

seconds=10
build="$root/build-fuzz"
report=""
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --build-dir) build=$2; shift 2 ;;
    --report) report=auto; shift ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "fuzz: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || targets=(page_parser retry_after links config)
case "$seconds" in ''|*[!0-9]*) echo "fuzz: --seconds needs a whole number" >&2; exit 2 ;; esac

command -v clang++ >/dev/null || { echo "fuzz: clang++ not found (Debian: apt-get install clang libclang-rt-14-dev)" >&2; exit 1; }
cmake -S "$here" -B "$build" -DCMAKE_CXX_COMPILER=clang++ >/dev/null
cmake --build "$build" -j"$(nproc)" --target "${targets[@]/#/fuzz_}" >/dev/null

# Seeds beyond tests/fuzz/corpus/<target>: the example pages and configurations of the unit tests.
extra_seeds() {
  case "$1" in
    page_parser) echo "$root/tests/data/pages" ;;
    config) echo "$root/tests/data/configs/valid $root/tests/data/configs/invalid" ;;
  esac
}

rows=()
failed=0
for t in "${targets[@]}"; do
  [ -x "$build/fuzz_$t" ] || { echo "fuzz: no target $t" >&2; exit 2; }
  # The working corpus lives in the build directory and grows from run to run; the repository's
  # seeds are only read.
  work="$build/corpus/$t" artifacts="$build/artifacts/$t"
  mkdir -p "$work" "$artifacts"
  before=$(find "$artifacts" -type f | wc -l)
  stamp="$build/$t.started"
  touch "$stamp"
  log="$build/$t.log"
  # shellcheck disable=SC2046
  if "$build/fuzz_$t" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=2048 -print_final_stats=1 \
      -dict="$here/dict/$t.dict" -artifact_prefix="$artifacts/" \
      "$work" "$here/corpus/$t" $(extra_seeds "$t") >"$log" 2>&1; then
    status=0
  else
    status=$?
  fi
  # A run that died early may lack any of these lines.
  execs=$(awk '/stat::number_of_executed_units:/ {n = $2} END {print n}' "$log")
  rate=$(awk '/stat::average_exec_per_sec:/ {n = $2} END {print n}' "$log")
  cov=$(awk '{for (i = 1; i < NF; i++) if ($i == "cov:") n = $(i + 1)} END {print n}' "$log")
  corpus=$(find "$work" -type f | wc -l)
  crashes=$(( $(find "$artifacts" -type f | wc -l) - before ))
  if [ "$status" -ne 0 ] && [ "$crashes" -eq 0 ]; then crashes=1; fi
  if [ "$crashes" -ne 0 ]; then
    failed=1
    echo "fuzz: $t FAILED (exit $status); the end of $log:" >&2
    tail -40 "$log" >&2
    find "$artifacts" -type f -newer "$stamp" -printf "fuzz: saved %p (replay: $build/fuzz_$t %p)\n" >&2 || true
  fi
  rows+=("$t ${execs:-0} ${rate:-0} ${cov:-0} $corpus $crashes")
done

table() {
  echo "| target | seconds | executions | exec/s | coverage (edges) | corpus | crashes |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
  for r in "${rows[@]}"; do
    set -- $r
    echo "| $1 | $seconds | $2 | $3 | $4 | $5 | $6 |"
  done
}
table

if [ -n "$report" ]; then
  file="$root/docs/RELIABILITY.md"
  [ -f "$file" ] || file="$root/docs/FUZZING.md"
  [ -f "$file" ] || printf '# Fuzzing figures\n\nThe targets and how to run them: tests/fuzz/README.md.\n\n' >"$file"
  cpu=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo 2>/dev/null || true)
  section=$(mktemp)
  {
    echo "## Fuzzing"
    echo
    echo "\`tests/fuzz/run.sh --seconds $seconds\` (what \`./run fuzz $seconds\` runs) on $(date -u +%Y-%m-%d), $(nproc) cores${cpu:+ ($cpu)}, $(clang++ --version | head -1):"
    echo "libFuzzer with AddressSanitizer and UndefinedBehaviorSanitizer, $seconds s per target, seeds from"
    echo "tests/fuzz/corpus/, tests/data/pages and tests/data/configs. Crashes must be 0."
    echo
    table
    echo
  } >"$section"
  # Replace our own section if it is there (up to the next "## " heading), else append it.
  awk -v section="$section" '
    function emit() { while ((getline line < section) > 0) print line; done = 1 }
    /^## Fuzzing[[:space:]]*$/ { emit(); skipping = 1; next }
    skipping && /^## / { skipping = 0 }
    !skipping { print }
    END { if (!done) { print ""; emit() } }
  ' "$file" | cat -s >"$file.new"
  mv "$file.new" "$file"
  rm -f "$section"
  echo "fuzz: figures written to ${file#"$root/"}"
fi
exit "$failed"
