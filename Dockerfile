# syntax=docker/dockerfile:1
# One image, two entrypoints, both under tini (PID 1 reaps orphans such as timed-out mount children):
#   driver:   tini -- node /app/dist/apps/csi-driver/main.js   (DaemonSet, privileged, root)
#   approver: tini -- node /app/dist/apps/approver/main.js     (Deployment, USER 65532; the default CMD)
# The chart sets `command` to exactly these. By hand: docker run IMAGE node /app/dist/apps/csi-driver/main.js --help
# The final stage is FROM scratch with only what the runtime needs (171 MB; 263 MB FROM the node
# base): node, tini, /bin/sh, mount/umount and their libraries. No shell tools, no package manager,
# no CA bundle; debug a Pod with `kubectl debug`. See test/node/README.md, "Images".
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

# The runtime's root filesystem, assembled from the same base: node (the very binary that wrote the
# code caches above, so V8 accepts them), tini, /bin/sh (dash: the driver's long-lived mount
# helper runs mount/umount through it, found via PATH), mount and umount, and every shared library
# they load (ldd); /etc/passwd and /etc/group with root and 65532, nsswitch.conf, hosts, /tmp, and
# the Debian copyright files of what is shipped. No apt/dpkg, no coreutils, no CA bundle (the apps
# trust the ServiceAccount's ca.crt and Node's built-in roots). See scripts/image/rootfs.sh.
FROM node:24-bookworm-slim AS rootfs
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt /var/log/dpkg.log
COPY scripts/image/rootfs.sh /usr/local/sbin/rootfs.sh
RUN rootfs.sh /rootfs /usr/local/bin/node /usr/bin/tini /bin/sh /bin/mount /bin/umount \
 && chroot /rootfs /bin/sh -c 'node --version && tini --version && mount --version && umount --version' >/dev/null

# The image: ~90 MB less than FROM node:24-bookworm-slim (218 MB: Debian, npm, the same node binary).
# Three layers: the system (changes only with the base or tini), then the app's dependencies and
# the app itself.
FROM scratch
COPY --from=rootfs /rootfs /
COPY --from=build /runtime/node_modules /app/node_modules
COPY --from=build /src/dist /app/dist
ENV PATH=/usr/local/bin:/usr/bin:/bin \
    NODE_ENV=production
WORKDIR /app
# The approver runs as this user (the chart also sets runAsNonRoot); the driver overrides to root.
USER 65532:65532
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "/app/dist/apps/approver/main.js"]
