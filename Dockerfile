# The worker and CLI image. Debian-based (the Temporal core bridge needs glibc, not musl).
# Build stage: every dependency, the TypeScript build and the workflow bundle, built once here instead of at each start.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Every workspace (packages/*): the build type-checks the demo and `generate` against the sandbox and the generator.
COPY packages ./packages
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
# Of the workspaces, only the spec package the worker runs (its token costs; plain CommonJS, no build): npm ci installs
# the workspaces it finds, so leaving packages/pipedrive-sandbox and packages/practice-generator out of the image leaves
# out the sandbox (express, multer, ...) and the generator (faker, pngjs, jpeg-js, ...) with all their dependencies;
# the demo and `generate` need a clone. test/integration/production-build.test.ts checks this install.
COPY packages/pipedrive-spec/package.json packages/pipedrive-spec/index.js packages/pipedrive-spec/index.d.ts packages/pipedrive-spec/token-costs.json ./packages/pipedrive-spec/
# --omit=optional leaves out the embedded PostgreSQL binaries (production sets DATABASE_URL to its own server).
RUN npm ci --omit=dev --omit=optional --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# Reports and workbooks are cached here (the store keeps them); extracts are mounted read-only at /extracts.
RUN mkdir -p /data /extracts && chown node:node /data
ENV DATA_DIR=/data
USER node
# The worker by default; the CLI is `node dist/starter.js …` (docker compose run --rm cli …). A young generation of up
# to 64 MB: a loaded worker allocates fast (bundles, bodies, responses), and the default 16 MB spent ~7% more of its
# CPU per record on scavenges (bench/throughput.bench.ts, figure b; README, Benchmarks).
CMD ["node", "--max-semi-space-size=64", "dist/worker.js"]
