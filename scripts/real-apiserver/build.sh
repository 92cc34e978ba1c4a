# Sourced by scripts/real-apiserver.sh: builds kube-apiserver (and, for test:node, the other
# control-plane binaries and kubelet) from Debian's `kubernetes` source
# package the way debian/rules does, and caches it outside the clone keyed by the package version.

readonly SOURCE_PACKAGE=kubernetes
readonly BUILD_DEPS=(dpkg-dev golang-go rsync etcd-server golang-github-modern-go-reflect2-dev openssl make patch)
readonly DEB_SRC_LIST=/etc/apt/sources.list.d/csi-driver-spiffe-deb-src.sources

as_root() {
  if [ "$(id -u)" = 0 ]; then
    "$@"
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    sudo -n "$@"
  else
    skip "root (or password-less sudo) is needed: apt-get for the build, tmpfs and bind mounts for the driver"
  fi
}

require_apt() {
  command -v apt-get >/dev/null || skip "apt-get not found (the build needs Debian's kubernetes sources)"
  command -v apt-cache >/dev/null || skip "apt-cache not found"
}

# Version of the source package apt would fetch; empty when deb-src entries are not known yet.
source_version() {
  apt-cache showsrc "$SOURCE_PACKAGE" 2>/dev/null | sed -n 's/^Version: //p' | sort -V | tail -n 1
}

enable_deb_src() {
  if [ -n "$(source_version)" ]; then return; fi
  # The suite the system runs is used; the issue pins bookworm, so fall back to it.
  local suite
  suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
  log "enabling deb-src for $suite main in $DEB_SRC_LIST"
  as_root tee "$DEB_SRC_LIST" >/dev/null <<EOF
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: $suite
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  as_root apt-get update -qq || skip "apt-get update failed (no network?)"
  [ -n "$(source_version)" ] || skip "apt knows no source package '$SOURCE_PACKAGE' for $suite"
}

install_build_deps() { install_packages "${BUILD_DEPS[@]}"; }

# Installs those of the named Debian packages that are missing (both real tiers use it).
install_packages() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    log "installing ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
      skip "could not install ${missing[*]}"
  fi
}

# vendor/github.com/modern-go/reflect2 v1.0.1 crashes ("fatal error: fault" in map iteration)
# when built with Go >= 1.18; Debian's v1.0.2 source is a drop-in replacement.
patch_reflect2() {
  local src=$1 fixed=/usr/share/gocode/src/github.com/modern-go/reflect2
  [ -d "$fixed" ] || { log "missing $fixed"; return 1; }
  rm -rf "$src/vendor/github.com/modern-go/reflect2"
  cp -r "$fixed" "$src/vendor/github.com/modern-go/reflect2"
  rm -f "$src/vendor/github.com/modern-go/reflect2/go.mod" "$src/vendor/github.com/modern-go/reflect2/go.sum"
}

# The control-plane binaries both real tiers use, built in one `make` (test:real needs only the
# API server, test:node all four; one build serves both and shares the Go build cache).
readonly KUBE_BINARIES=(kube-apiserver kube-controller-manager kube-scheduler kubelet)

# kubelets before 1.26 send the CSI socket's path as the HTTP/2 :authority, which Node.js's HTTP/2
# server (and so every Node.js gRPC server, ours included) rejects with RST_STREAM PROTOCOL_ERROR.
# Kubernetes 1.26 dials with authority "localhost" (kubernetes/kubernetes#112597); this applies the
# same two-line change to the CSI client and the plugin-registration dialer of the 1.20 source.
readonly KUBELET_PATCH="$here/real-node/kubelet-grpc-authority.patch"

# Mirrors debian/rules: a GOPATH in which k8s.io/kubernetes is the source tree, cgo off, plain
# `make WHAT=...` (hack/lib/golang.sh then builds in GOPATH mode from the vendor tree).
compile_kubernetes() {
  local src=$1 gopath=$1/.gopath
  mkdir -p "$gopath/src/k8s.io"
  ln -sfn "$src" "$gopath/src/k8s.io/kubernetes"
  (
    cd "$gopath/src/k8s.io/kubernetes"
    export GOPATH=$gopath GOCACHE=$1/.gocache CGO_ENABLED=0 GO111MODULE=off GOFLAGS= GOPROXY=off
    make WHAT="${KUBE_BINARIES[*]/#/cmd/}"
  )
}

# The cache key: package version plus the patch's content, so a changed patch rebuilds.
kube_build_id() {
  echo "$(source_version)-$(sha256sum "$KUBELET_PATCH" | cut -c1-12)"
}

# Prints the directory holding the cached binaries, building them first when any is missing.
build_kubernetes() {
  require_apt
  as_root true # the tiers need root anyway (apt, tmpfs and bind mounts): say so before anything slow
  enable_deb_src
  install_build_deps # etcd and openssl are needed to run it, too
  local version dir
  version=$(source_version)
  dir="$cache_root/kubernetes-$(kube_build_id)"
  if kube_binaries_present "$dir"; then echo "$dir"; return; fi
  mkdir -p "$cache_root"
  # One build at a time per cache (parallel CI jobs on one machine wait for the first).
  exec 9>"$cache_root/.build.lock"
  flock 9
  if kube_binaries_present "$dir"; then echo "$dir"; return; fi

  local work started
  work="$cache_root/build-$version"
  rm -rf "$work"
  mkdir -p "$work"
  started=$(date +%s)
  log "fetching source package $SOURCE_PACKAGE $version into $work"
  (cd "$work" && apt-get source -qq "$SOURCE_PACKAGE=$version" >"$work/apt-source.log" 2>&1) ||
    { cat "$work/apt-source.log" >&2; skip "apt-get source $SOURCE_PACKAGE failed"; }
  local src
  src=$(find "$work" -mindepth 1 -maxdepth 1 -type d -name "$SOURCE_PACKAGE-*" | head -n 1)
  [ -n "$src" ] || { log "no unpacked source tree in $work"; return 1; }
  patch_reflect2 "$src"
  log "applying $(basename "$KUBELET_PATCH") (kubernetes/kubernetes#112597 backport)"
  patch -s -p1 -d "$src" <"$KUBELET_PATCH"
  log "building ${KUBE_BINARIES[*]} (about 10 minutes on 2 cores, ~2 GB memory); log: $work/build.log"
  if ! compile_kubernetes "$src" >"$work/build.log" 2>&1; then
    tail -n 40 "$work/build.log" >&2
    log "build failed; full log kept in $work/build.log"
    return 1
  fi
  mkdir -p "$dir.tmp"
  local bin built
  for bin in "${KUBE_BINARIES[@]}"; do
    built=$(find "$src/_output" -type f -name "$bin" -perm -u+x | head -n 1)
    [ -n "$built" ] || { log "build produced no $bin"; return 1; }
    cp "$built" "$dir.tmp/$bin"
  done
  rm -rf "$dir"
  mv "$dir.tmp" "$dir"
  log "built in $(($(date +%s) - started))s: $dir"
  rm -rf "$work"
  echo "$dir"
}

kube_binaries_present() {
  local bin
  for bin in "${KUBE_BINARIES[@]}"; do [ -x "$1/$bin" ] || return 1; done
}

# Prints the cached kube-apiserver's path (test:real).
build_apiserver() {
  local dir
  dir=$(build_kubernetes)
  echo "$dir/kube-apiserver"
}
