# Downwatch container image.
#
#   docker build -t downwatch .
#   docker run --rm -p 8080:8080 -e DATABASE_URL=... -e REDIS_URL=... downwatch
#
# Two stages: a Rust toolchain builds the release binary; a small Debian image runs it as an
# unprivileged user. The binary needs no system library (pure-Rust Postgres and Redis
# clients, SQLite bundled), so the runtime stage only adds CA certificates and busybox (for
# the HEALTHCHECK's `wget`). See docs/deploy.md.

ARG RUST_VERSION=1
ARG DEBIAN_RELEASE=bookworm

# --- build -----------------------------------------------------------------------------------
FROM rust:${RUST_VERSION}-${DEBIAN_RELEASE} AS builder
WORKDIR /src

# Dependencies first, against placeholder sources: this layer is rebuilt only when
# Cargo.toml or Cargo.lock change, not on every edit of the code.
COPY Cargo.toml Cargo.lock ./
RUN mkdir -p server \
    && echo 'fn main() {}' > server/main.rs \
    && : > server/lib.rs \
    && cargo build --release --locked --bin downwatch \
    && rm -rf server

# The real sources. The context is whitelisted by .dockerignore (Cargo.toml, Cargo.lock,
# server/, the migrations and static/ when present), so this brings nothing else, and works
# whether static/ exists yet or not. The placeholders' build is newer than the copied files,
# so touch the crate roots to make cargo rebuild the crate itself (dependencies stay cached).
COPY . .
RUN touch server/lib.rs server/main.rs \
    && cargo build --release --locked --bin downwatch \
    && install -D -m 0755 target/release/downwatch /out/usr/local/bin/downwatch \
    && mkdir -p /out/app/static \
    && if [ -d static ]; then cp -a static/. /out/app/static/; fi

# --- run -------------------------------------------------------------------------------------
FROM debian:${DEBIAN_RELEASE}-slim AS runtime

LABEL org.opencontainers.image.title="Downwatch" \
      org.opencontainers.image.description="Self-hostable crowdsourced outage detector" \
      org.opencontainers.image.licenses="AGPL-3.0-or-later"

# Not pinned (hadolint DL3008): the slim image should take Debian's latest security fixes.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates busybox \
    && rm -rf /var/lib/apt/lists/*

# A fixed numeric uid/gid, so that orchestrators checking "runAsNonRoot" can verify it and
# bind-mounted files can be chowned to it.
RUN groupadd --system --gid 10001 downwatch \
    && useradd --system --uid 10001 --gid downwatch --no-create-home \
       --home-dir /var/lib/downwatch --shell /usr/sbin/nologin downwatch \
    && install -d -o downwatch -g downwatch -m 0750 /var/lib/downwatch

# /usr/local/bin/downwatch and /app/static (empty when the repo has no static/ yet).
COPY --from=builder /out/ /

WORKDIR /app
ENV DOWNWATCH_LISTEN=0.0.0.0:8080 \
    DOWNWATCH_DATA_DIR=/var/lib/downwatch
USER 10001:10001
EXPOSE 8080

# Liveness: the process answers HTTP. The port follows DOWNWATCH_LISTEN (run through sh so
# that the variable is expanded when the check runs).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["sh", "-c", "busybox wget -q -T 3 -O /dev/null \"http://127.0.0.1:${DOWNWATCH_LISTEN##*:}/healthz\" || exit 1"]

ENTRYPOINT ["downwatch"]
CMD ["serve"]
