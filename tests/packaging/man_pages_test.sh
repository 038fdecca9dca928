#!/usr/bin/env bash
# The manual pages against the programs they describe: each page renders without a warning from
# man, dvsync(8) names every command and option of `dvsync --help`, dataverse-emulator(1) every
# flag of `dataverse-emulator --help`, and dvsync.json(5) every key of the example configuration.
# usage: man_pages_test.sh SOURCE_DIR MAN_BUILD_DIR DVSYNC EMULATOR    (exit 77: skipped, no man)
set -uo pipefail
src=${1:?usage: man_pages_test.sh SOURCE_DIR MAN_BUILD_DIR DVSYNC EMULATOR}
pages=${2:?}
dvsync=${3:?}
emulator=${4:?}
command -v man >/dev/null || { echo "SKIP: man (man-db) is not installed"; exit 77; }
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# The page as text: ASCII (so \- is "-"), one line per paragraph (no hyphenation at line ends).
render() { LC_ALL=C MANWIDTH=2000 man --warnings -l "$1" 2>"$1.warnings" | col -b; }

declare -A text
for page in dvsync.8 dvsync.json.5 dataverse-emulator.1; do
  [ -f "$pages/$page" ] || { fail "no $pages/$page (configured from man/$page)"; continue; }
  text[$page]=$(render "$pages/$page")
  [ -s "$pages/$page.warnings" ] && fail "$page: man warns: $(cat "$pages/$page.warnings")"
  [ -f "$pages/$page.gz" ] && ! cmp -s <(gzip -dc "$pages/$page.gz") "$pages/$page" &&
    fail "$page.gz does not hold $page"
  grep -q '@[A-Z_]*@' "$pages/$page" && fail "$page: an unreplaced @VARIABLE@"
done

mentions() {  # mentions PAGE WORD WHAT [-i]
  grep -qF ${4:-} -- "$2" <<<"${text[$1]:-}" || fail "$1 does not mention $3 '$2'"
}

help=$("$dvsync" --help)
# The command words: the first word of the lines under "commands:" up to the next blank line.
commands=$(awk '/^commands:/ { on = 1; next } on && /^$/ { on = 0 } on && /^  [a-z]/ { print $1 }' <<<"$help")
[ -n "$commands" ] || fail "no commands found in dvsync --help"
for c in $commands; do mentions dvsync.8 "$c" "the command"; done
for option in $(grep -oE -- '--[a-z][a-z-]*' <<<"$help" | sort -u); do mentions dvsync.8 "$option" "the option"; done

emulator_help=$("$emulator" --help)
flags=$(grep -oE -- '--[a-z][a-z-]*' <<<"$emulator_help" | sort -u)
[ -n "$flags" ] || fail "no flags found in dataverse-emulator --help"
for flag in $flags; do mentions dataverse-emulator.1 "$flag" "the flag"; done

keys=$(grep -oE '"[a-z_]+" *:' "$src/config/dvsync.example.json" | tr -d '": ' | sort -u)
[ -n "$keys" ] || fail "no keys found in config/dvsync.example.json"
# Case-insensitive: the sections are headings (TLS, LOG).
for key in $keys; do mentions dvsync.json.5 "$key" "the key" -i; done

[ "$failures" -eq 0 ] || exit 1
echo "manual pages: $(wc -w <<<"$commands") commands, $(wc -w <<<"$flags") emulator flags and $(wc -w <<<"$keys") keys described"
