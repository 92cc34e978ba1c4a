#!/bin/sh
# Assembles the root filesystem of the final image (FROM scratch) from the running system (the
# Dockerfile's `rootfs` stage, FROM node:24-bookworm-slim): the given programs, every shared
# library they load (ldd: the whole closure, wherever the architecture keeps it), and the few files
# a process expects to find. Nothing else: no package manager, no coreutils, no CA bundle.
#
#   rootfs.sh <dest> <program>...
#
# Each path is copied under its canonical directory, and so is each symlink on the way to the real
# file (/bin/sh -> dash, libstdc++.so.6 -> libstdc++.so.6.0.30, the ELF interpreter's link), with the
# system's merged-/usr links (/bin -> usr/bin, /lib -> usr/lib, ...) recreated: every path a program
# or its ELF header names resolves exactly as it does in the base image.
set -eu

dest=${1:?usage: rootfs.sh <dest> <program>...}
shift
[ ! -e "$dest" ] || { echo "rootfs.sh: $dest already exists" >&2; exit 1; }
mkdir -p "$dest"
copied=$(mktemp)

for d in bin sbin lib lib32 lib64 libx32; do
  if [ -L "/$d" ]; then ln -s "$(readlink "/$d")" "$dest/$d"; fi
done

# Copies $1 and, while it is a symlink, what it points to.
add() {
  p=$1
  while :; do
    dir=$(realpath "$(dirname "$p")")
    q="${dir%/}/$(basename "$p")"
    if [ ! -e "$q" ] && [ ! -L "$q" ]; then echo "rootfs.sh: $p not found" >&2; exit 1; fi
    if [ ! -e "$dest$q" ] && [ ! -L "$dest$q" ]; then
      mkdir -p "$dest$dir"
      cp -a "$q" "$dest$q"
      echo "$q" >>"$copied"
    fi
    [ -L "$q" ] || return 0
    t=$(readlink "$q")
    case $t in /*) p=$t ;; *) p="$dir/$t" ;; esac
  done
}

for program in "$@"; do
  add "$program"
  # "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)", "/lib64/ld-linux-x86-64.so.2 (0x...)";
  # nothing for a static program (ldd fails; its output is empty).
  for lib in $(ldd "$program" 2>/dev/null | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }'); do
    add "$lib"
  done
done

# Licences of the Debian packages the copied files come from (dpkg knows pre-merge paths too).
# Some packages' doc dir is a link to a sibling's (libstdc++6, libgcc-s1 -> gcc-12-base), which
# the slim base leaves out: then the copyright of a package built from the same source is used.
for f in $(cat "$copied"); do
  [ -L "$f" ] && continue
  pkg=$(dpkg -S "$f" 2>/dev/null || dpkg -S "${f#/usr}" 2>/dev/null || true)
  pkg=${pkg%%:*}
  [ -n "$pkg" ] || continue
  src=$(dpkg-query -W -f='${source:Package}' "$pkg" 2>/dev/null || true)
  for cand in "$pkg" $(dpkg-query -W -f='${Package} ${source:Package}\n' | awk -v s="$src" '$2 == s { print $1 }'); do
    if [ -f "/usr/share/doc/$cand/copyright" ]; then
      if [ ! -e "$dest/usr/share/doc/$cand/copyright" ]; then
        mkdir -p "$dest/usr/share/doc/$cand"
        cp "/usr/share/doc/$cand/copyright" "$dest/usr/share/doc/$cand/copyright"
      fi
      break
    fi
  done
done

# Merged-/usr links whose target got nothing (e.g. /sbin) would only dangle.
for d in bin sbin lib lib32 lib64 libx32; do
  if [ -L "$dest/$d" ] && [ ! -e "$dest/$d" ]; then rm "$dest/$d"; fi
done

# Mount points runtimes expect to exist (a read-only rootfs cannot get them later), and the users:
# root (the driver, as the chart runs it) and 65532 (the approver; the image's USER).
mkdir -p "$dest/etc" "$dest/root" "$dest/home/nonroot" "$dest/tmp" "$dest/proc" "$dest/sys" "$dest/dev" "$dest/run"
cat >"$dest/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
EOF
cat >"$dest/etc/group" <<'EOF'
root:x:0:
nonroot:x:65532:
EOF
# glibc's lookups: users and groups from the files above, host names from /etc/hosts (which
# container runtimes and kubelet mount over this one), then DNS.
cat >"$dest/etc/nsswitch.conf" <<'EOF'
passwd: files
group: files
hosts: files dns
EOF
cat >"$dest/etc/hosts" <<'EOF'
127.0.0.1 localhost
::1 localhost ip6-localhost ip6-loopback
EOF
chmod 0700 "$dest/root"
chown 65532:65532 "$dest/home/nonroot"
chmod 1777 "$dest/tmp"

echo "rootfs.sh: $(wc -l <"$copied") paths ($*), $(du -sh "$dest" | cut -f1) in $dest" >&2
rm -f "$copied"
