# syntax=docker/dockerfile:1
# Build stage: compile TypeScript (better-sqlite3 builds its native addon here).
FROM node:20-bookworm-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY src ./src
COPY connectors ./connectors
COPY sandbox ./sandbox
COPY console ./console
COPY test/bench ./test/bench
RUN npm ci --no-audit --no-fund && npm run build

# Production dependencies only, native addon included.
FROM node:20-bookworm-slim AS deps
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm rebuild better-sqlite3

# Runtime: no compilers, no dev dependencies, not root. ansible-playbook is here for the local
# runner (connectors.ansible_local); the controller connector needs nothing local.
FROM node:20-bookworm-slim
RUN apt-get update \
  && apt-get install -y --no-install-recommends ansible-core openssh-client ca-certificates tini \
  && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production PORT=8080 SNOWLINE_DB=/data/snowline.db SNOWLINE_MAPPINGS=/app/mappings \
  ANSIBLE_LOCAL_TEMP=/tmp/ansible ANSIBLE_HOME=/tmp/ansible
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY config ./config
COPY connectors/servicenow/instance ./connectors/servicenow/instance
# Writable by the service user: the store, and the mapping tables (four-eyes approvals and
# `snowline rules rollback` write them). A mounted volume replaces either; give it to uid 1000.
COPY --chown=node:node mappings ./mappings
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
# 8080: the middleware. 8081: the sandbox, reachable from outside only with SNOWLINE_SANDBOX_HOST=0.0.0.0.
EXPOSE 8080 8081
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# tini forwards SIGTERM (graceful drain) and SIGHUP (reload the mapping tables) and reaps ansible's children.
ENTRYPOINT ["tini", "--", "node", "bin/snowline.js"]
CMD ["serve"]
