# The worker image. Debian-based (the Temporal core bridge needs glibc, not musl).
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
ENV NODE_ENV=production
CMD ["npx", "tsx", "src/worker.ts"]
