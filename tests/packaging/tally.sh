# The tally of a shell test that checks many things and reports each (sourced, not run):
# `pass TEXT` and `fail TEXT` count and print one check; `finish` prints the counts and exits
# with 0 only when nothing failed.
passed=0
failed=0
pass() { echo "ok: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*" >&2; failed=$((failed + 1)); }
finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit
}
