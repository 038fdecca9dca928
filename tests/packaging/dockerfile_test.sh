#!/usr/bin/env bash
# The Dockerfile's invariants, checked without a Docker engine: two stages on Debian 12, the
# builder installs from the one package list and runs the tests, the runtime stage runs the daemon
# as a non-root numeric user in exec form with a health check and a volume for its state.
# usage: dockerfile_test.sh SOURCE_DIR
set -uo pipefail
src=${1:?usage: dockerfile_test.sh SOURCE_DIR}
dockerfile=$src/Dockerfile
ignore=$src/.dockerignore
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

[ -f "$dockerfile" ] || { echo "FAIL: no $dockerfile" >&2; exit 1; }

# One instruction per line: comments dropped, continuations joined, keywords upper-cased.
instructions=$(awk '
  /^[[:space:]]*#/ { next }
  { line = $0
    if (sub(/\\[[:space:]]*$/, "", line)) { buffer = buffer line " "; next }
    line = buffer line; buffer = ""
    gsub(/[[:space:]]+/, " ", line); sub(/^ /, "", line); sub(/ $/, "", line)
    if (line == "") next
    keyword = line; sub(/ .*/, "", keyword)
    print toupper(keyword) substr(line, length(keyword) + 1)
  }' "$dockerfile")

froms=$(grep -c '^FROM ' <<<"$instructions")
[ "$froms" -ge 2 ] || fail "expected a multi-stage build, found $froms FROM"

# stage N: the instructions from the Nth FROM up to the next one.
stage() { awk -v n="$1" '/^FROM /{ i++ } i == n' <<<"$instructions"; }
builder=$(stage 1)
runtime=$(stage "$froms")

grep -Eiq '^FROM debian:bookworm AS [a-z0-9_-]+$' <<<"$builder" \
  || fail "the first stage must be 'FROM debian:bookworm AS <name>'"
builder_name=$(sed -nE '1s/^FROM [^ ]+ [Aa][Ss] (.*)$/\1/p' <<<"$builder")
grep -Eq '^FROM debian:bookworm-slim( |$)' <<<"$runtime" \
  || fail "the final stage must be FROM debian:bookworm-slim"

grep -Eq '^COPY .*tools/packages\.txt' <<<"$builder" || fail "the builder must copy tools/packages.txt"
grep -Eq '^RUN .*tools/packages\.txt.*apt-get install' <<<"$builder" \
  || fail "the builder must apt-get install the packages listed in tools/packages.txt"
grep -Eq '^RUN .*ctest .*-L' <<<"$builder" || fail "the builder must run the tests (ctest -L ...)"
grep -Eq '^RUN .*cmake --install' <<<"$builder" || fail "the builder must cmake --install into a staging tree"

grep -Eq "^COPY --from=${builder_name:-build} .*/dvsync /usr/bin/dvsync$" <<<"$runtime" \
  || fail "the runtime stage must copy the dvsync binary from the builder to /usr/bin/dvsync"
if grep -E '^RUN .*apt-get install' <<<"$runtime" | grep -Eq -- '-dev( |$)|g\+\+|cmake'; then
  fail "the runtime stage installs build tools or -dev packages"
fi
grep -Eq '^RUN .*apt-get install.* ca-certificates( |$)' <<<"$runtime" \
  || fail "the runtime stage must install ca-certificates"

user=$(grep '^USER ' <<<"$runtime" | tail -n 1 | cut -d' ' -f2-)
if [[ ! "$user" =~ ^([0-9]+)(:([0-9]+))?$ ]]; then
  fail "the final USER must be numeric uid[:gid], found '${user:-none}'"
elif [ "${BASH_REMATCH[1]}" -eq 0 ] || [ "${BASH_REMATCH[3]:-1}" -eq 0 ]; then
  fail "the final USER must not be root, found '$user'"
fi

grep -Eq '^ENTRYPOINT \[ ?"/usr/bin/dvsync" ?[],]' <<<"$runtime" \
  || fail 'ENTRYPOINT must be exec form ["/usr/bin/dvsync", ...] so SIGTERM reaches the daemon'
grep -Eq '^CMD \[' <<<"$runtime" || fail "CMD must be exec form"
grep -Eq '^HEALTHCHECK .*CMD \[ ?"/usr/bin/dvsync", ?"healthcheck"' <<<"$runtime" \
  || fail 'HEALTHCHECK must run ["/usr/bin/dvsync", "healthcheck", ...]'
grep -Eq '^VOLUME .*"?/var/lib/dvsync"?' <<<"$runtime" || fail "VOLUME must hold /var/lib/dvsync"
grep -Eq '^ENV SQLITE_TMPDIR=/var/lib/dvsync$' <<<"$runtime" \
  || fail "ENV SQLITE_TMPDIR must be the volume, so that SQLite's sorts work on a read-only root filesystem"
if grep -q '^STOPSIGNAL ' <<<"$runtime"; then
  grep -Eq '^STOPSIGNAL (SIGTERM|15)$' <<<"$runtime" || fail "STOPSIGNAL must be SIGTERM"
fi

# .dockerignore: each of these paths must be matched by some pattern (shell glob, as Docker's).
if [ ! -f "$ignore" ]; then
  fail "no .dockerignore"
else
  patterns=$(grep -Ev '^[[:space:]]*(#|$)' "$ignore" | sed 's#^/##; s#/$##')
  for path in .git build build-release build-ops; do
    matched=no
    while IFS= read -r pattern; do
      # shellcheck disable=SC2053 # the pattern is meant to glob
      [[ "$path" == $pattern ]] && matched=yes
    done <<<"$patterns"
    [ "$matched" = yes ] || fail ".dockerignore does not exclude $path"
  done
  for kept in Dockerfile .dockerignore tools/packages.txt; do
    grep -qxF "$kept" <<<"$patterns" && fail ".dockerignore excludes $kept, which the build needs"
  done
fi

[ "$failures" -eq 0 ] || exit 1
echo "Dockerfile invariants hold"
