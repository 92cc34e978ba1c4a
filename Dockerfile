# syntax=docker/dockerfile:1
# One image, two entrypoints:
#   driver:   node /app/dist/apps/csi-driver/main.js   (DaemonSet, privileged, root)
#   approver: node /app/dist/apps/approver/main.js     (Deployment, non-root)
# Build:  docker build -t csi-driver-spiffe:dev .
# Kind:   kind load docker-image csi-driver-spiffe:dev

FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig*.json nest-cli.json webpack.config.js ./
COPY apps apps
COPY libs libs
COPY proto proto
COPY scripts/build scripts/build
RUN npm run build

FROM node:24-bookworm-slim AS prod-deps
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts

FROM node:24-bookworm-slim
# mount/umount for the driver's tmpfs and bind mounts.
RUN apt-get update \
 && apt-get install -y --no-install-recommends mount \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production
COPY --from=prod-deps /src/node_modules node_modules
COPY --from=build /src/dist dist
COPY package.json ./
COPY proto proto
# dist/apps/*/app.js.cache is the V8 code cache `npm run build` wrote with this same Node image;
# main.js (scripts/build/loader.cjs) uses it when it matches and ignores it otherwise.
# The approver runs as this user (the chart also sets runAsNonRoot); the driver overrides to root.
USER 65532:65532
ENTRYPOINT ["node"]
CMD ["/app/dist/apps/approver/main.js"]
