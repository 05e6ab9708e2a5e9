# Build: compile Sluice into one executable (the migrations and the sandbox worker are embedded).
FROM denoland/deno:2.9.6 AS build
WORKDIR /src
COPY deno.json deno.lock ./
COPY main.ts ./
COPY src ./src
COPY assets ./assets
RUN deno install --frozen --entrypoint main.ts src/cli/serve.ts src/server.ts src/ui/pages.ts src/ui/api_reference_page.tsx src/mcp/http.ts src/mcp/dispatch.ts src/cli/commands.ts src/cli/members.ts src/cli/dead_letter.ts src/sandbox/sandbox_engine.ts src/sandbox/warehouse_queries.ts \
  && deno task compile

# Run: a slim image with a non-root user; the embedded store lives in the /data volume.
FROM debian:bookworm-slim
RUN useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin sluice \
  && mkdir -p /data && chown sluice /data
COPY --from=build /src/dist/sluice /usr/local/bin/sluice
USER sluice
WORKDIR /data
ENV PORT=3000 HOST=0.0.0.0 DATA_DIR=/data/.sluice LOG_FORMAT=json
VOLUME /data
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 CMD ["sluice", "healthcheck"]
ENTRYPOINT ["sluice"]
CMD ["serve"]
