# Airlock: a small image that runs the TypeScript sources through tsx (no build step).
FROM node:20-bookworm-slim AS deps
WORKDIR /app
# better-sqlite3 is a native addon; build it here so the runtime image needs no compiler.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production \
    AIRLOCK_HOST=0.0.0.0 \
    AIRLOCK_PORT=8080 \
    AIRLOCK_STORAGE=/app/storage \
    AIRLOCK_POLICY=/app/policies/default.yaml
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY bin ./bin
COPY src ./src
COPY policies ./policies
RUN mkdir -p /app/storage && chown node:node /app/storage
USER node
VOLUME ["/app/storage"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s \
  CMD node -e "fetch('http://127.0.0.1:8080/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "--import", "tsx", "src/main.ts"]
