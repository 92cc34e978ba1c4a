# Sourced by build.sh: a private apt (its own sources list, state and cache under $apt_dir) that
# names Debian trixie, used only to download .debs; nothing here reads or changes the system's apt
# configuration beyond the archive keyring, and nothing is installed.

readonly TRIXIE_MIRROR=http://deb.debian.org/debian

apt_opts() {
  printf '%s\n' \
    -o "Dir::Etc::sourcelist=$apt_dir/sources.list" -o Dir::Etc::sourceparts=- \
    -o "Dir::Etc::preferencesparts=$apt_dir/preferences.d" -o "Dir::State=$apt_dir/state" \
    -o Dir::State::status=/dev/null -o "Dir::Cache=$apt_dir/cache" \
    -o APT::Architecture=amd64 -o APT::Sandbox::User=root -o Debug::NoLocking=1
}

papt_get() { local o; mapfile -t o < <(apt_opts); apt-get "${o[@]}" "$@"; }
papt_cache() { local o; mapfile -t o < <(apt_opts); apt-cache "${o[@]}" "$@"; }

private_apt_update() {
  command -v apt-get >/dev/null || { log "apt-get not found (the client's Go packages come from Debian)"; exit 1; }
  mkdir -p "$apt_dir/preferences.d" "$apt_dir/state/lists/partial" "$apt_dir/cache/archives/partial"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $TRIXIE_MIRROR trixie main" \
    >"$apt_dir/sources.list"
  log "updating the private trixie package lists in $apt_dir"
  papt_get -qq update >&2
}

candidate_version() { papt_cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: //p' | grep -v '(none)' || true; }

# Go packages (and the Go toolchain trixie builds them with) needed to build the client: what apt's
# resolver would install for go-spiffe's -dev package and golang-go on an empty system (a plain
# recursive Depends walk would take both sides of alternatives, such as two golang/protobuf majors
# that conflict and cannot be unpacked into one GOPATH), keeping only golang-* packages.
closure() {
  papt_get -s install --no-install-recommends golang-github-spiffe-go-spiffe-dev golang-go |
    sed -n 's/^Inst \(golang-[^ ]*\) .*/\1/p' | sort -u
}

# Downloads and unpacks the closure into $1/root; records the GOROOT (relative to $1); marks the tree complete last
# so an interrupted run is redone rather than half used.
fetch_tree() {
  local tree=$1 pkgs deb goroot
  mapfile -t pkgs < <(closure)
  rm -rf "$tree"
  mkdir -p "$tree/debs" "$tree/root"
  log "downloading ${#pkgs[@]} trixie packages into $tree/debs"
  # Lists older than the mirror name .debs it no longer has: refresh them once and retry.
  if ! (cd "$tree/debs" && papt_get -qq download "${pkgs[@]}" >&2); then
    private_apt_update
    mapfile -t pkgs < <(closure)
    (cd "$tree/debs" && papt_get -qq download "${pkgs[@]}" >&2)
  fi
  for deb in "$tree"/debs/*.deb; do dpkg-deb -x "$deb" "$tree/root"; done
  goroot=$(find "$tree/root/usr/lib" -maxdepth 1 -name 'go-1.*' -type d | sort -V | tail -n 1)
  [ -x "$goroot/bin/go" ] || { log "no Go toolchain in $tree/root/usr/lib"; exit 1; }
  echo "${goroot#"$tree/"}" >"$tree/goroot" # relative: the cache may be moved

  rm -rf "$tree/debs"
  touch "$tree/.complete"
}
