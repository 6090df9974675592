# The worker and CLI image. Debian-based (the Temporal core bridge needs glibc, not musl).
# Build stage: every dependency, the TypeScript build and the workflow bundle, built once here instead of at each start.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
RUN npm run build

# Run stage: production dependencies and the compiled code only (no tsx, no test libraries), as a non-root user.
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# --omit=optional leaves out the embedded PostgreSQL binaries (production sets DATABASE_URL to its own server).
RUN npm ci --omit=dev --omit=optional --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY spec ./spec
# Reports and workbooks are cached here (the store keeps them); extracts are mounted read-only at /extracts.
RUN mkdir -p /data /extracts && chown node:node /data
ENV DATA_DIR=/data
USER node
# The worker by default; the CLI is `node dist/starter.js …` (docker compose run --rm cli …).
CMD ["node", "dist/worker.js"]
