# One image for every function; FUNCTION picks which one runs (knative/*.yaml set it).
#   docker build -t ghcr.io/featurestore/featurestore:0.1.0 .
#   docker run -e FUNCTION=register -e FEATURESTORE_METADATA_URL=postgres://... -p 8080:8080 <image>
# The functions are esbuild bundles (scripts/build.mjs); only the packages they keep external (native
# code, WASM, data files) and production dependencies are installed in the final stage.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY proto ./proto
COPY scripts ./scripts
# npm's prepare hook generates shared/gen from proto/ (buf and ts-proto are dev dependencies).
RUN npm ci
COPY tsconfig.json ./
COPY shared ./shared
COPY functions ./functions
COPY cli ./cli
RUN node scripts/build.mjs

FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the prepare hook needs the dev dependencies; DuckDB's binding is a prebuilt
# optional package and PGlite is WASM, so no install script is needed at run time.
RUN npm ci --omit=dev --ignore-scripts

FROM node:20-bookworm-slim
ENV NODE_ENV=production PORT=8080
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY scripts/container-entry.sh ./scripts/container-entry.sh
# The image's node user by number, so Kubernetes can check runAsNonRoot.
USER 1000
EXPOSE 8080
ENTRYPOINT ["/app/scripts/container-entry.sh"]
