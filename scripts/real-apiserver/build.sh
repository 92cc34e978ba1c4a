# Sourced by scripts/real-apiserver.sh: builds kube-apiserver from Debian's `kubernetes` source
# package the way debian/rules does, and caches it outside the clone keyed by the package version.

readonly SOURCE_PACKAGE=kubernetes
readonly BUILD_DEPS=(dpkg-dev golang-go rsync etcd-server golang-github-modern-go-reflect2-dev openssl make)
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

install_build_deps() {
  local missing=() pkg
  for pkg in "${BUILD_DEPS[@]}"; do
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

# Mirrors debian/rules: a GOPATH in which k8s.io/kubernetes is the source tree, cgo off, plain
# `make WHAT=...` (hack/lib/golang.sh then builds in GOPATH mode from the vendor tree).
compile_apiserver() {
  local src=$1 gopath=$1/.gopath
  mkdir -p "$gopath/src/k8s.io"
  ln -sfn "$src" "$gopath/src/k8s.io/kubernetes"
  (
    cd "$gopath/src/k8s.io/kubernetes"
    export GOPATH=$gopath GOCACHE=$1/.gocache CGO_ENABLED=0 GO111MODULE=off GOFLAGS= GOPROXY=off
    make WHAT=cmd/kube-apiserver
  )
}

# Prints the cached binary's path, building it first when it is missing.
build_apiserver() {
  require_apt
  as_root true # the tier needs root anyway (apt, tmpfs and bind mounts): say so before anything slow
  enable_deb_src
  local version binary
  version=$(source_version)
  binary="$cache_root/kube-apiserver-$version"
  if [ -x "$binary" ]; then
    install_build_deps # etcd and openssl are still needed to run it
    echo "$binary"
    return
  fi
  install_build_deps
  mkdir -p "$cache_root"
  # One build at a time per cache (parallel CI jobs on one machine wait for the first).
  exec 9>"$cache_root/.build.lock"
  flock 9
  if [ -x "$binary" ]; then echo "$binary"; return; fi

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
  log "building kube-apiserver (several minutes, ~1.4 GB memory); log: $work/build.log"
  if ! compile_apiserver "$src" >"$work/build.log" 2>&1; then
    tail -n 40 "$work/build.log" >&2
    log "build failed; full log kept in $work/build.log"
    return 1
  fi
  local built
  built=$(find "$src/_output" -type f -name kube-apiserver -perm -u+x | head -n 1)
  [ -n "$built" ] || { log "build produced no kube-apiserver"; return 1; }
  cp "$built" "$binary.tmp"
  mv "$binary.tmp" "$binary"
  log "built in $(($(date +%s) - started))s: $binary"
  rm -rf "$work"
  echo "$binary"
}
