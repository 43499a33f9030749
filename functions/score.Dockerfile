# syntax=docker/dockerfile:1
#
# The scoring service's image, for a Cloud Run service (terraform/score_service.tf): functions-framework
# serving the `score` target from its own bundle, dist/functions/score.js. Each revision serves the
# versions its environment names (MLOOP_SERVED_MODELS) and loads them before its startup probe passes.
# onnxruntime-node's CPU binaries ship in its package; nothing here needs a GPU.
# sharp decodes uploaded images (image models) and is loaded by the bundle, which keeps it external: its
# native part comes prebuilt as sharp's optional dependencies @img/sharp-linux-x64 and
# @img/sharp-libvips-linux-x64 (libvips itself), which `npm ci --omit=dev` installs from the lockfile on
# this linux x64 glibc base. Do not add --omit=optional or --no-optional, nor move to a musl (Alpine)
# base without its linuxmusl packages: the service would fail at start, tabular models included.
# test/unit/functions/score_dockerfile.test.ts checks all this.
#
# Build from the repository root after `npm run build` (cloudbuild.yaml does both):
#   docker build -f functions/score.Dockerfile -t IMAGE .

FROM node:20-bookworm-slim AS deps
# better-sqlite3 (a dependency of the local platform, never loaded here) compiles when no prebuilt binary matches.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
# package.json names the package's own bin, which npm links while installing.
COPY bin/ ./bin/
ENV ONNXRUNTIME_NODE_INSTALL=skip
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production \
    MLOOP_HOME=/tmp/mloop
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY dist/functions/score.js dist/functions/score.js.map ./dist/functions/
USER node
# Cloud Run sets PORT; functions-framework listens on it.
ENTRYPOINT ["node", "node_modules/@google-cloud/functions-framework/build/src/main.js", "--target=score", "--signature-type=http", "--source=dist/functions/score.js"]
