#!/usr/bin/env bash
# Builds test/go-spiffe-client (a tiny Go program on go-spiffe's workloadapi package, the reference
# SPIFFE client) and prints the path of the static binary.
#
# go-spiffe 2.x, its Go dependencies and a Go new enough for them are Debian packages in trixie; the
# machine may run an older Debian (bookworm has neither go-spiffe nor a recent enough Go). So this
# script keeps a private apt state naming trixie (it never touches the system's sources or installs
# anything system-wide), downloads the .debs of go-spiffe's -dev dependency closure plus trixie's Go
# toolchain, unpacks them with dpkg-deb -x into a cache outside the clone, and builds GOPATH-style
# (GO111MODULE=off, no module downloads). The binary is static (CGO_ENABLED=0) so it runs on the
# host and inside a busybox-based Pod image alike.
#
#   scripts/go-spiffe-client/build.sh            download what is missing, build, print the binary
#   scripts/go-spiffe-client/build.sh --offline  never use the network: exit 3 (reason on stderr)
#                                                when the toolchain is not cached yet
# Cache: $GO_SPIFFE_CACHE_DIR, else ~/.cache/csi-driver-spiffe (apt-trixie/, go-spiffe-<version>/).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
src="$repo/test/go-spiffe-client"
cache="${GO_SPIFFE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/csi-driver-spiffe}"
apt_dir="$cache/apt-trixie"
offline=false
[ "${1:-}" = --offline ] && offline=true

log() { echo "go-spiffe-client: $*" >&2; }
unavailable() { log "$*"; exit 3; }

# shellcheck source=apt.sh
. "$here/apt.sh"

if [ ! -d "$apt_dir/state/lists" ] || ! ls "$apt_dir/state/lists/"*Packages* >/dev/null 2>&1; then
  $offline && unavailable "no cached trixie package lists (run scripts/go-spiffe-client/build.sh once)"
  private_apt_update
fi
version=$(candidate_version golang-github-spiffe-go-spiffe-dev)
[ -n "$version" ] || { log "trixie lists name no golang-github-spiffe-go-spiffe-dev"; exit 1; }
tree="$cache/go-spiffe-$version"

if [ ! -f "$tree/.complete" ]; then
  $offline && unavailable "go-spiffe $version and its Go toolchain are not cached in $tree"
  fetch_tree "$tree"
fi

goroot="$tree/$(cat "$tree/goroot")"
# The binary is named by a hash of the client's source and this script: an unchanged client is
# not rebuilt, and a changed one can never be mistaken for the old build.
hash=$(cat "$src"/*.go "$here/build.sh" | sha256sum | cut -c1-16)
bin="$tree/bin/go-spiffe-client-$hash"
if [ ! -x "$bin" ]; then
  log "building $bin with $("$goroot/bin/go" version | cut -d' ' -f3)"
  mkdir -p "$tree/bin" "$tree/gocache"
  (cd "$src" && env GO111MODULE=off GOPATH="$tree/root/usr/share/gocode" GOROOT="$goroot" \
    GOCACHE="$tree/gocache" GOFLAGS= GOPROXY=off GOTOOLCHAIN=local CGO_ENABLED=0 \
    "$goroot/bin/go" build -trimpath -ldflags="-s -w" -o "$bin.tmp" .)
  mv "$bin.tmp" "$bin"
fi
echo "$bin"
