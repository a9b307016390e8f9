# syntax=docker/dockerfile:1
#
# defender-audit-bot container image.
#
#   docker build -t defender-audit-bot .
#   docker run --rm -p 3978:3978 -v audit-data:/data --env-file env/.env.dev --env-file env/.env.dev.user defender-audit-bot
#
# The bot listens on HOST=0.0.0.0, which it accepts only with Bot Framework authentication
# configured (BOT_ID, BOT_TENANT_ID and SECRET_BOT_PASSWORD, or BOT_AUTH_TYPE=UserAssignedMSI):
# an unauthenticated bot stays on loopback. In Azure, infra/hosting.bicep runs this image on
# Azure Container Apps with a user-assigned managed identity.
#
# Two stages: `build` compiles TypeScript with the full dependency tree; the runtime stage gets only dist/, the card templates, the Teams app package
# sources and the production node_modules, and runs as an unprivileged user.

# Node.js 24 LTS, the supported runtime (package.json engines: 22.12 or later).
ARG NODE_IMAGE=node:24-bookworm-slim

# ── build ──────────────────────────────────────────────────────────────────────────────────────
FROM ${NODE_IMAGE} AS build

# No toolchain: better-sqlite3 13 ships its native addon (Node-API) inside the npm package for
# linux-x64 and linux-arm64 (glibc and musl) and runs no install script, so nothing compiles.

WORKDIR /app

# Dependencies first, so that a source change does not reinstall them.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

COPY tsconfig.json ./
COPY src ./src
COPY cards ./cards
COPY appPackage ./appPackage

# tsconfig.json: rootDir src, outDir dist, so src/cli.ts becomes dist/cli.js (the package's bin).
RUN npm run build \
 && test -f dist/cli.js \
 && npm prune --omit=dev --no-audit --no-fund

# ── runtime ────────────────────────────────────────────────────────────────────────────────────
FROM ${NODE_IMAGE} AS runtime

# A fixed, unprivileged uid/gid: infra/hosting.bicep mounts the Azure Files share with
# uid=10001,gid=10001 so that this user owns the SQLite file.
RUN groupadd --system --gid 10001 bot \
 && useradd --system --uid 10001 --gid bot --home-dir /app --no-create-home --shell /usr/sbin/nologin bot \
 && mkdir -p /data \
 && chown bot:bot /data

WORKDIR /app

# Owned by root and read-only for the bot user: the application cannot rewrite itself.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Card templates are read at start from ../../cards relative to dist/cards/templates.js
# (defaultCardsDir in src/cards/templates.ts), i.e. /app/cards.
COPY --from=build /app/cards ./cards
COPY --from=build /app/appPackage ./appPackage

# NODE_OPTIONS:
# - --max-old-space-size=256: the V8 heap limit. Ingest was measured at ~300 MB RSS with a 160 MB
#   heap (npm run bench: SQLite page cache, native buffers and code live outside the heap), so
#   256 MB leaves headroom for bursts while keeping the container under 512 MiB; give the
#   container at least 512 MiB (infra/hosting.bicep asks for 1 GiB).
ENV NODE_ENV=production \
    NODE_OPTIONS="--max-old-space-size=256" \
    STORE_PATH=/data/audit.db \
    HOST=0.0.0.0 \
    PORT=3978

# The SQLite store (STORE_PATH) lives here; mount a volume or it is lost with the container.
VOLUME /data

EXPOSE 3978

USER bot

# Liveness plus ingest freshness (GET /healthz answers 503 when the store is unreadable or no ingest
# run succeeded for a while). The slim image has no curl: Node's fetch does the request.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3978)+'/healthz').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"]

# Node runs as PID 1 and handles SIGTERM itself (a clean stop: the store is closed, in-flight
# alerts stay in the outbox). `docker run --init` adds a reaper if you ever need one.
CMD ["node", "dist/cli.js", "start"]
