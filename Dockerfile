# dvsync container image: docker build -t dvsync .   (running it: docs/OPERATIONS.md)
#
# Stage 1 builds and tests on the full Debian 12 toolchain from the one package list
# (tools/packages.txt, also read by ./run and CI); stage 2 carries the binary and its runtime
# libraries only, runs as a non-root numeric user and keeps state on a volume.

FROM debian:bookworm AS build
ARG DEBIAN_FRONTEND=noninteractive
COPY tools/packages.txt /src/tools/packages.txt
# The package list up to its "# ---- Release tools" line: packaging and container tools stay out.
RUN apt-get update \
 && sed '/^# ---- /q' /src/tools/packages.txt | grep -v '^[[:space:]]*#' | awk 'NF {print $1}' \
    | xargs apt-get install -y --no-install-recommends \
 && rm -rf /var/lib/apt/lists/*
COPY . /src
WORKDIR /src
# Labels of the tests the build runs, e.g. --build-arg TEST_LABELS='unit|integration'. Declared
# after the package install so that changing it does not invalidate that layer.
ARG TEST_LABELS=unit
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=Release \
 && cmake --build /build -j"$(nproc)" \
 && ctest --test-dir /build -L "${TEST_LABELS}" --output-on-failure -j"$(nproc)" \
 && DESTDIR=/staging cmake --install /build --prefix /usr

FROM debian:bookworm-slim
ARG DEBIAN_FRONTEND=noninteractive
# The shared libraries the binary links (Boost.JSON and Boost.URL, OpenSSL, SQLite, fmt, zlib)
# and the CA bundle for verifying the Dataverse and token endpoints.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      ca-certificates libssl3 libsqlite3-0 libfmt9 zlib1g libboost-json1.81.0 libboost-url1.81.0 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /staging/usr/bin/dvsync /usr/bin/dvsync
# A missing runtime library fails the build here rather than the first start.
RUN if ldd /usr/bin/dvsync | grep 'not found'; then exit 1; fi \
 && mkdir -p /etc/dvsync /var/lib/dvsync \
 && chown 65532:65532 /var/lib/dvsync \
 && chmod 0750 /var/lib/dvsync
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="dvsync" \
      org.opencontainers.image.description="Mirror Microsoft Dataverse tables into SQLite with change tracking" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.base.name="debian:bookworm-slim"
# A new named volume takes this directory's owner and mode, so the daemon can write it.
VOLUME ["/var/lib/dvsync"]
WORKDIR /var/lib/dvsync
# SQLite sorts a full read that arrived in random key order through temporary files: on the
# volume they work with a read-only root filesystem too (they are unlinked as soon as opened).
ENV SQLITE_TMPDIR=/var/lib/dvsync
USER 65532:65532
# Exec form: the daemon is PID 1 and receives docker stop's SIGTERM itself.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/dvsync"]
CMD ["run", "--config", "/etc/dvsync/dvsync.json"]
# Asks the daemon's local health endpoint (the config's metrics.listen) whether the loop progresses.
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
  CMD ["/usr/bin/dvsync", "healthcheck", "--config", "/etc/dvsync/dvsync.json"]
