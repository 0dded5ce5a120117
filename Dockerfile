# A container image of spacelinks: `docker build -t spacelinks .`
# Runs as an unprivileged user and works with a read-only root file system:
#   docker run --read-only --tmpfs /tmp -v spacelinks-data:/var/lib/spacelinks \
#     -p 8080:8080 -e SPACELINKS_PUBLIC_URL=https://files.example.com spacelinks
# Everything it writes goes to /var/lib/spacelinks (SQLite, blobs, secret.key);
# with PostgreSQL, S3 and SPACELINKS_SECRET_KEY it writes nothing locally.

FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p spacelinks \
 && install -D -m 0755 target/release/spacelinks /out/spacelinks

FROM debian:bookworm-slim
# CA certificates for an https S3 endpoint (the S3 client uses the system's roots).
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/spacelinks --shell /usr/sbin/nologin spacelinks \
 && install -d -o spacelinks -g spacelinks -m 0700 /var/lib/spacelinks
COPY --from=build /out/spacelinks /usr/local/bin/spacelinks
USER 10001:10001
ENV SPACELINKS_DATA_DIR=/var/lib/spacelinks \
    SPACELINKS_LISTEN=0.0.0.0:8080
VOLUME ["/var/lib/spacelinks"]
EXPOSE 8080
# Probes: GET /healthz (liveness) and GET /readyz (database and blob store) from the orchestrator.
ENTRYPOINT ["/usr/local/bin/spacelinks"]
CMD ["serve"]
