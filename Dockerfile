# The headless Worksection MCP server (no desktop app), for running on a
# server. Build:   docker build -t worksection-mcp .
# Run:             see compose.yaml (it needs MCP_AUTH_TOKEN when reachable
#                  from other machines).

FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p worksection-mcp \
 && cp target/release/worksection-mcp /usr/local/bin/worksection-mcp

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --create-home --home-dir /data worksection
COPY --from=build /usr/local/bin/worksection-mcp /usr/local/bin/worksection-mcp
USER 10001:10001
WORKDIR /data
ENV MCP_SERVER_HOST=0.0.0.0 \
    MCP_SERVER_PORT=8000 \
    FILE_CACHE_PATH=/data/files \
    LOG_LEVEL=info
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD ["worksection-mcp", "healthcheck"]
ENTRYPOINT ["worksection-mcp"]
CMD ["serve"]
