# syntax=docker/dockerfile:1
# One image, two entrypoints, both under tini (PID 1 reaps orphans such as timed-out mount children):
#   driver:   tini -- node /app/dist/apps/csi-driver/main.js   (DaemonSet, privileged, root)
#   approver: tini -- node /app/dist/apps/approver/main.js     (Deployment, USER 65532; the default CMD)
# The chart sets `command` to exactly these. By hand: docker run IMAGE node /app/dist/apps/csi-driver/main.js --help
# Build:  docker build -t csi-driver-spiffe:dev .
# Behind a TLS-intercepting proxy, give npm the proxy's CA for this build only (never stored in the image):
#         docker build --secret id=npm-ca,src=/etc/ssl/certs/ca-certificates.crt -t csi-driver-spiffe:dev .
# Kind:   kind load docker-image csi-driver-spiffe:dev

FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN --mount=type=secret,id=npm-ca \
    if [ -s /run/secrets/npm-ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/npm-ca; fi \
 && npm ci --no-audit --no-fund \
 && rm -rf /root/.npm
COPY tsconfig*.json nest-cli.json webpack.config.js ./
COPY apps apps
COPY libs libs
COPY proto proto
COPY scripts/build scripts/build
# dist/apps/<app>/{main.js (loader), app.js (bundle), app.js.cache (V8 code cache written with this
# same Node)}, and dist/apps/csi-driver/proto/csi.proto. /runtime/node_modules: only what the
# bundles leave external (webpack.config.js LAZY: @kubernetes/client-node) and its dependencies.
RUN npm run build \
 && node scripts/build/runtime-deps.mjs /runtime

FROM node:24-bookworm-slim
# mount/umount and /bin/sh (the driver's mount helper) are already in the base.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt /var/log/dpkg.log
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /runtime/node_modules node_modules
COPY --from=build /src/dist dist
# The approver runs as this user (the chart also sets runAsNonRoot); the driver overrides to root.
USER 65532:65532
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "/app/dist/apps/approver/main.js"]
