# Build stage: every dependency, compile, then pack exactly the files the package publishes.
FROM node:20-bookworm-slim AS build
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json spec.json ./
COPY src ./src
COPY schemas ./schemas
RUN npm run build \
 && npm pack --pack-destination /tmp \
 && mkdir /package \
 && tar -xzf /tmp/source-stream-chat-*.tgz -C /package --strip-components=1 \
 && cp package-lock.json /package/

# Runtime stage: the packed package and its production dependencies, nothing else. Optional
# dependencies stay out: they are DuckDB's bindings (~70 MB), which only the local `sync` command
# loads, and Airbyte never runs it.
FROM node:20-bookworm-slim
# Airbyte runs connectors as uid 1000; in this image that uid belongs to `node`, renamed `airbyte`.
RUN groupmod --new-name airbyte node \
 && usermod --login airbyte --home /home/airbyte --move-home node
WORKDIR /airbyte/integration_code
COPY --from=build /package ./
# The code stays root's: the connector reads it and cannot change it (spec, check, discover and read write no file).
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund --cache /tmp/npm-cache \
 && rm -rf /tmp/npm-cache \
 && chmod -R u=rwX,go=rX /airbyte
WORKDIR /airbyte
ENV NODE_ENV=production
# The platform runs `sh -c 'eval "$AIRBYTE_ENTRYPOINT <command> <args>"'` from other directories.
ENV AIRBYTE_ENTRYPOINT="node /airbyte/integration_code/dist/main.js"
ENTRYPOINT ["node", "/airbyte/integration_code/dist/main.js"]
LABEL io.airbyte.name=airbyte/source-stream-chat
LABEL io.airbyte.version=0.1.0
USER airbyte
