#!/usr/bin/env bash
# The container image built from the Dockerfile and run for real, with podman:
#   - the image builds (its builder stage runs the unit tests), carries the user 65532:65532, the
#     exec-form entrypoint and the HEALTHCHECK, and `dvsync --version` runs in it;
#   - the README's demo runs with every dvsync command inside the container (read-only root, no
#     capabilities, user 65532), against the emulator on the host's loopback: 11 upserts, 1 delete;
#   - the image's default command as a daemon: a new named volume for /var/lib/dvsync, the
#     configuration mounted read-only, `podman healthcheck run` healthy, and `podman stop` (SIGTERM
#     to PID 1) ends it with status 0.
# Debian's images cannot be pulled here (no registry is reachable), so debian:bookworm and
# debian:bookworm-slim are made from a `debootstrap --variant=minbase bookworm` root (the tarball
# that deb_install_test.sh keeps) in a podman store of the test's own under WORK_DIR.
#   container_test.sh WORK_DIR SOURCE_DIR BUILD_DIR ROOT_TARBALL
# BUILD_DIR has the host's dataverse-emulator. Exit 77 (skipped) when the machine cannot build or
# run containers: the reason is printed.
set -uo pipefail
work=${1:?usage: container_test.sh WORK_DIR SOURCE_DIR BUILD_DIR ROOT_TARBALL}
src=${2:?}
build=${3:?}
tarball=${4:?}
image=localhost/dvsync:test

step() { echo "container_test: $(date -u '+%T') $*"; }
skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "needs root: the image is built and run by rootful podman"
command -v podman >/dev/null || skip "podman is not installed (apt-get install podman runc)"
[ -s "$tarball" ] || skip "no Debian 12 root tarball at $tarball (./run package --test makes it)"
mkdir -p "$work"
work=$(cd "$work" && pwd)
podman=(podman --root "$work/storage" --runroot "$work/run")

if ! "${podman[@]}" image exists docker.io/library/debian:bookworm-slim; then
  step "debian:bookworm and debian:bookworm-slim from $tarball"
  "${podman[@]}" import "$tarball" docker.io/library/debian:bookworm >"$work/import.log" 2>&1 ||
    skip "podman cannot import an image: $(tail -3 "$work/import.log")"
  "${podman[@]}" tag docker.io/library/debian:bookworm docker.io/library/debian:bookworm-slim
fi

# How containers run here. The defaults first; then what a host without CAP_SYS_RESOURCE (podman
# raises RLIMIT_NOFILE and RLIMIT_NPROC by default) and with a hybrid cgroup layout (crun refuses
# it; runc does not) needs.
run_flags=()
probe() { "${podman[@]}" run --rm --network none "$@" docker.io/library/debian:bookworm-slim true 2>&1; }
if ! first=$(probe); then
  fallback=(--runtime runc --ulimit nofile=1024:1024 --ulimit nproc=4096:4096)
  if second=$(probe "${fallback[@]}"); then
    run_flags=("${fallback[@]}")
    step "the default runtime cannot run a container here ($first); using ${run_flags[*]}"
  else
    skip "podman cannot run a container here: with the defaults: $first; with ${fallback[*]}: $second"
  fi
fi

# pass, fail, finish
. "$(dirname "${BASH_SOURCE[0]}")/tally.sh"

step "podman build $src (the builder stage compiles everything and runs the unit tests)"
started=$(date +%s)
# --format docker keeps HEALTHCHECK (the OCI format has no such field); --network host lets the
# builder stage reach Debian's archive; --pull=never uses the local Debian images.
# The image must exist afterwards: a podman build whose compilers were killed has been seen to
# exit 0 all the same.
"${podman[@]}" rmi -f "$image" >/dev/null 2>&1
if nice "${podman[@]}" build --format docker --pull=never --network host "${run_flags[@]}" \
     -t "$image" "$src" >"$work/build.log" 2>&1 && "${podman[@]}" image exists "$image"; then
  pass "the image builds ($(($(date +%s) - started)) s)"
else
  tail -40 "$work/build.log" >&2
  fail "podman build (log: $work/build.log)"
  finish
fi

config=$("${podman[@]}" image inspect --format '{{.Config.User}}|{{json .Config.Entrypoint}}|{{json .Config.Healthcheck.Test}}' "$image")
IFS='|' read -r user entrypoint healthcheck <<<"$config"
[ "$user" = 65532:65532 ] && pass "the image runs as $user" || fail "the image's user is '$user'"
[ "$entrypoint" = '["/usr/bin/dvsync"]' ] && pass "exec-form entrypoint $entrypoint" || fail "entrypoint $entrypoint"
grep -q '"/usr/bin/dvsync","healthcheck"' <<<"$healthcheck" && pass "HEALTHCHECK $healthcheck" ||
  fail "HEALTHCHECK is '$healthcheck'"
# stdout only: without systemd, podman says on stderr that it cannot add the health check's timer.
version=$("${podman[@]}" run --rm --pull=never --network none "${run_flags[@]}" "$image" --version 2>"$work/version.err")
[ "$version" = "dvsync $(sed -nE 's/^project\(dvsync VERSION ([0-9.]+).*/\1/p' "$src/CMakeLists.txt")" ] &&
  pass "$version runs in the image" || fail "dvsync --version in the image: $version $(cat "$work/version.err")"

# The demo, each dvsync command in a container of the image. The demo directory is mounted at the
# same path, so the configuration and database paths the demo writes hold inside too.
demo=$work/demo
rm -rf "$demo"
mkdir -p "$demo"
wrapper=$work/dvsync-in-container
cat >"$wrapper" <<WRAPPER
#!/bin/sh
# The demo's dvsync: the image, as its own user, on a read-only root without capabilities.
chmod 0777 "$demo"
exec ${podman[*]} run --rm --pull=never --network host ${run_flags[*]} --read-only --cap-drop ALL \\
  --security-opt no-new-privileges -e DVSYNC_CLIENT_SECRET -v "$demo:$demo" "$image" "\$@"
WRAPPER
chmod 0755 "$wrapper"
step "tools/demo.sh with dvsync in the container"
if DVSYNC=$wrapper DVSYNC_DEMO_DIR=$demo "$src/tools/demo.sh" "$build" >"$work/demo.out" 2>&1; then
  if grep -qE '^sample_book: delta cycle, 1 page, 11 upserts, 1 delete' "$work/demo.out"; then
    pass "the demo's second cycle, inside the container: $(grep -E '^sample_book: delta' "$work/demo.out")"
  else
    fail "the demo ran but its second cycle is not 11 upserts, 1 delete: $(grep -E '^sample_book:' "$work/demo.out")"
  fi
else
  tail -20 "$work/demo.out" >&2
  fail "tools/demo.sh with dvsync in the container (output: $work/demo.out; dvsync log: $demo/dvsync.log)"
fi

# The default command as a daemon, the way docs/OPERATIONS.md runs it.
step "the image's default command as a daemon"
emulator_dir=$work/emulator
rm -rf "$emulator_dir" && mkdir -p "$emulator_dir"
"$build/emulator/dataverse-emulator" --listen 127.0.0.1:0 --port-file "$emulator_dir/port" --seed sample \
  --client-id container-test --client-secret container-test-secret >"$emulator_dir/log" 2>&1 &
emulator_pid=$!
for _ in $(seq 100); do [ -s "$emulator_dir/port" ] && break; sleep 0.1; done
port=$(cat "$emulator_dir/port")
metrics_port=$((20000 + RANDOM % 20000))
cat >"$emulator_dir/dvsync.json" <<CONFIG
{ "dataverse": { "url": "http://127.0.0.1:$port" },
  "auth": { "authority": "http://127.0.0.1:$port", "tenant_id": "t", "client_id": "container-test",
            "client_secret_file": "/run/secrets/client_secret" },
  "database": { "path": "/var/lib/dvsync/mirror.db" },
  "sync": { "interval_s": 2 },
  "metrics": { "listen": "127.0.0.1:$metrics_port" },
  "tables": [ { "logical_name": "sample_book", "key": "sample_bookcode" } ] }
CONFIG
chmod 0644 "$emulator_dir/dvsync.json"
printf 'container-test-secret' >"$emulator_dir/client_secret"
chown 65532:65532 "$emulator_dir/client_secret" && chmod 0400 "$emulator_dir/client_secret"
"${podman[@]}" rm -f dvsync-test >/dev/null 2>&1
"${podman[@]}" volume rm -f dvsync-test-state >/dev/null 2>&1
"${podman[@]}" volume create dvsync-test-state >/dev/null
"${podman[@]}" run -d --pull=never --name dvsync-test --network host "${run_flags[@]}" --read-only --tmpfs /tmp \
  --cap-drop ALL --security-opt no-new-privileges \
  -v dvsync-test-state:/var/lib/dvsync \
  -v "$emulator_dir/dvsync.json:/etc/dvsync/dvsync.json:ro" \
  -v "$emulator_dir/client_secret:/run/secrets/client_secret:ro" \
  "$image" >/dev/null 2>"$work/daemon.err" || fail "podman run -d: $(cat "$work/daemon.err")"
healthy=no
for _ in $(seq 60); do
  if "${podman[@]}" healthcheck run dvsync-test >/dev/null 2>&1; then healthy=yes; break; fi
  sleep 1
done
[ "$healthy" = yes ] && pass "podman healthcheck run: healthy (dvsync healthcheck inside)" ||
  fail "never healthy; logs: $("${podman[@]}" logs dvsync-test 2>&1 | tail -5)"
"${podman[@]}" logs dvsync-test 2>&1 | grep -q 'event=cycle.done table=sample_book' &&
  pass "the daemon synced into the named volume" || fail "no cycle.done in $("${podman[@]}" logs dvsync-test 2>&1 | tail -5)"
"${podman[@]}" stop -t 30 dvsync-test >/dev/null 2>&1
status=$("${podman[@]}" inspect --format '{{.State.ExitCode}}' dvsync-test 2>&1)
[ "$status" = 0 ] && pass "podman stop: SIGTERM to PID 1, exit status 0" || fail "exit status after podman stop: $status"
"${podman[@]}" rm -f dvsync-test >/dev/null 2>&1
"${podman[@]}" volume rm -f dvsync-test-state >/dev/null 2>&1
kill "$emulator_pid" 2>/dev/null
wait "$emulator_pid" 2>/dev/null
finish
