# syntax=docker/dockerfile:1.7
#
# The `shop` image: one binary that runs any component (`serve`, `inventory`, `orders`,
# `facade`, `worker`, `migrate`, `check`). Needs BuildKit (the default builder of
# Docker >= 23):
#
#   docker build -t shop:dev .
#   docker run --rm -p 8080:8080 -p 50051:50051 -p 50052:50052 shop:dev   # demo on SQLite
#
# See deploy/README.md for the compose stack and the Kubernetes manifests.

ARG RUST_VERSION=1.95
ARG DEBIAN_RELEASE=bookworm

# ---------------------------------------------------------------------------------------
# Builder: the official Rust image. Nothing else to install: the protobuf compiler is a
# Rust crate (protox), SQLite is bundled (libsqlite3-sys, built with the image's cc), TLS is
# rustls with the webpki roots compiled in.
FROM rust:${RUST_VERSION}-${DEBIAN_RELEASE} AS builder
WORKDIR /src
ENV CARGO_TERM_COLOR=never \
    CARGO_INCREMENTAL=0
COPY . .
# The registry, git checkouts and target/ live in BuildKit cache mounts, so a rebuild after
# a source change recompiles only the crates that changed. target/ is not part of any layer,
# hence the copy out of it in the same step.
RUN --mount=type=cache,id=shop-cargo-registry,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,id=shop-cargo-git,target=/usr/local/cargo/git,sharing=locked \
    --mount=type=cache,id=shop-target,target=/src/target,sharing=locked \
    cargo build --release --locked -p shop \
    && install -D -m 0755 target/release/shop /out/shop

# ---------------------------------------------------------------------------------------
# Runtime: Debian slim, the same release as the builder (same glibc). The binary links only
# libc, libm and libgcc_s. The container healthchecks need no curl: `shop probe grpc|http`.
FROM debian:${DEBIAN_RELEASE}-slim AS runtime

LABEL org.opencontainers.image.title="shop" \
      org.opencontainers.image.description="Confirms paid orders: inventory and orders gRPC services, payment webhook facade, invoice worker." \
      org.opencontainers.image.licenses="MIT OR Apache-2.0"

# A fixed numeric user, so that Kubernetes' runAsNonRoot can verify it. Its home is the
# working directory, where `shop serve` on the embedded defaults keeps data/ (SQLite and
# .eml mails); with PostgreSQL and SHOP_SMTP_URL nothing is ever written to disk.
RUN groupadd --gid 10001 shop \
    && useradd --uid 10001 --gid 10001 --no-log-init --no-create-home \
       --home-dir /var/lib/shop --shell /usr/sbin/nologin shop \
    && install -d -o 10001 -g 10001 -m 0750 /var/lib/shop

COPY --from=builder /out/shop /usr/local/bin/shop

# The binary's own defaults listen on 127.0.0.1, unreachable from outside a container.
# NO_COLOR: plain log lines (no ANSI colours) in `docker logs` and `kubectl logs`.
ENV SHOP_INVENTORY_ADDR=0.0.0.0:50052 \
    SHOP_ORDERS_ADDR=0.0.0.0:50051 \
    SHOP_HTTP_ADDR=0.0.0.0:8080 \
    NO_COLOR=1

WORKDIR /var/lib/shop
USER 10001:10001
# 8080: webhook facade (HTTP, and its /metrics), 50051: orders (gRPC), 50052: inventory
# (gRPC). The other components' /metrics is off unless SHOP_METRICS_ADDR is set (deploy/
# sets 0.0.0.0:9100), so 9100 is not exposed by default.
EXPOSE 8080 50051 50052

# `shop` is PID 1 and handles SIGTERM/SIGINT itself (graceful drain); it starts no children.
ENTRYPOINT ["shop"]
CMD ["serve"]
