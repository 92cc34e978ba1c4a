#!/usr/bin/env bash
# Smoke check of the real-node tier's images, without a cluster (the tier's tests are the real
# check). As root, after `scripts/real-node/image.sh build`:
#
#   test/node/smoke-images.sh
#
# Starts a private containerd (own root/state/socket under $SMOKE_DIR, CRI disabled), imports the
# images with `image.sh import`, and with `ctr run` checks:
#   - DRIVER: at most 200 MB (issue 15); the chart's two commands (tini -- node .../main.js) start
#     (--help) on a read-only rootfs, tini is PID 1 and reaps orphans; the V8 code caches are
#     accepted; the default CMD is the approver; an exec kubeconfig loads the lazily required
#     @kubernetes/client-node; as root in a privileged container (the chart's driver) the driver
#     mounts its data-root tmpfs through its /bin/sh helper, and the mounter's commands (tmpfs,
#     read-only bind, remount, umount) work; no host CA bundle / npm cache / apt / npm in any layer;
#   - DRIVER + REGISTRAR + LIVENESS as the DaemonSet wires them (shared /plugin socket dir): the
#     registrar serves <driver>-reg.sock with GetInfo, the liveness stand-in answers /healthz 200;
#   - WORKLOAD has sh cat stat grep sleep id; PAUSE runs and exits on SIGTERM.
# Prints `N passed, N failed`; stops its containerd and removes its state on exit.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
image_sh="$repo/scripts/real-node/image.sh"
SMOKE_DIR=${SMOKE_DIR:-/tmp/img-containerd}
sock="$SMOKE_DIR/containerd.sock"
ns=k8s.io
[ "$(id -u)" = 0 ] || { echo "smoke-images: SKIP: root is needed" >&2; exit 77; }
eval "$("$image_sh" names)"

passed=0 failed=0
ok() { echo "  ok   $*"; passed=$((passed + 1)); }
bad() { echo "  FAIL $*"; failed=$((failed + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
c() { ctr -a "$sock" -n "$ns" "$@"; }

containerd_pid=
rootfs_view=
cleanup() {
  local id
  for id in $(c tasks ls -q 2>/dev/null); do c tasks kill -s KILL "$id" >/dev/null 2>&1; done
  sleep 0.5
  for id in $(c containers ls -q 2>/dev/null); do c tasks rm -f "$id" >/dev/null 2>&1; c containers rm "$id" >/dev/null 2>&1; done
  [ -n "$rootfs_view" ] && c images unmount --rm "$rootfs_view" >/dev/null 2>&1
  [ -n "$containerd_pid" ] && kill "$containerd_pid" 2>/dev/null && wait "$containerd_pid" 2>/dev/null
  grep -o " $SMOKE_DIR/[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null
  rm -rf "$SMOKE_DIR"
}
trap cleanup EXIT

rm -rf "$SMOKE_DIR" && mkdir -p "$SMOKE_DIR"/{root,state,plugin,registration,data,smoke}
cat >"$SMOKE_DIR/config.toml" <<EOF
version = 2
root = "$SMOKE_DIR/root"
state = "$SMOKE_DIR/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$sock"
[ttrpc]
  address = "$sock.ttrpc"
EOF
containerd --config "$SMOKE_DIR/config.toml" >"$SMOKE_DIR/containerd.log" 2>&1 &
containerd_pid=$!
for _ in $(seq 50); do [ -S "$sock" ] && c version >/dev/null 2>&1 && break; sleep 0.2; done

echo "import"
"$image_sh" import "$sock" 2>"$SMOKE_DIR/import.log"
check "image.sh import exits 0" [ $? = 0 ]
listed=$(c images ls -q)
for img in "$DRIVER" "$PAUSE" "$WORKLOAD" "$REGISTRAR" "$LIVENESS"; do
  check "ctr -n k8s.io images ls lists $img" grep -qxF "$img" <<<"$listed"
done

echo "DRIVER $DRIVER"
# The final stage is FROM scratch with only what the runtime needs: issue 15 caps it at 200 MB as
# `buildah images` reports it (the uncompressed layers, 1 MB = 10^6 bytes, 3 significant digits).
human=$(buildah images --format '{{.Size}}' "$DRIVER" 2>/dev/null | head -n1)
mb=$(awk '{ f = ($2 == "GB") ? 1000 : ($2 == "MB") ? 1 : ($2 == "kB" || $2 == "KB") ? 0.001 : -1; print (f < 0) ? -1 : $1 * f }' <<<"$human")
check "image size $human <= 200 MB" awk -v mb="$mb" 'BEGIN { exit !(mb > 0 && mb <= 200) }'
# The image has no coreutils: helpers for the checks below are node or sh scripts mounted at /smoke.
cat >"$SMOKE_DIR/smoke/reap.js" <<'EOF'
// `tini -- sh -c '(node /smoke/reap.js orphan &); exec node /smoke/reap.js check'`: the orphan's
// parent (the subshell) exits at once, so it is reparented to PID 1; the checker ends it and
// prints "reaped" once it is gone, "zombie" if it stays a zombie, then the number of zombies left.
const fs = require('node:fs');
if (process.argv[2] === 'orphan') {
  setTimeout(() => {}, 60_000);
} else {
  const stat = (pid) => {
    try {
      const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const [state, ppid] = s.slice(s.lastIndexOf(')') + 2).split(' ');
      return { state, ppid: Number(ppid), cmd: fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8') };
    } catch {
      return undefined;
    }
  };
  const pids = () => fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  const zombies = () => pids().filter((p) => stat(p)?.state === 'Z').length;
  const deadline = Date.now() + 20_000;
  let orphan, zombieSince;
  const tick = () => {
    if (Date.now() > deadline) return console.log(orphan ? 'timeout' : 'orphan not seen'), process.exit(1);
    if (!orphan) {
      orphan = pids().find((p) => { const s = stat(p); return s && s.ppid === 1 && s.cmd.includes('reap.js\0orphan'); });
      if (orphan) process.kill(Number(orphan), 'SIGTERM');
    } else {
      const s = stat(orphan);
      if (!s) return console.log('reaped', zombies()), process.exit(0);
      if (s.state === 'Z' && (zombieSince ??= Date.now()) < Date.now() - 3000) return console.log('zombie'), process.exit(1);
    }
    setTimeout(tick, 100);
  };
  tick();
}
EOF
cat >"$SMOKE_DIR/smoke/code-cache.js" <<'EOF'
// Compiles an app's bundle as its loader (dist/apps/<app>/main.js) does, with the same V8 flags,
// and prints whether V8 accepted the code cache the build wrote (same node binary -> accepted).
const { readFileSync } = require('node:fs');
const Module = require('node:module');
const { setFlagsFromString } = require('node:v8');
const vm = require('node:vm');
const dir = `/app/dist/apps/${process.argv[2]}`;
const flags = JSON.parse(/for \(const flag of (\[[^\]]*\])\)/.exec(readFileSync(`${dir}/main.js`, 'utf8'))[1]);
for (const flag of flags) setFlagsFromString(flag);
const bundle = `${dir}/app.js`;
const script = new vm.Script(Module.wrap(readFileSync(bundle, 'utf8')), {
  filename: bundle,
  cachedData: readFileSync(`${bundle}.cache`),
  importModuleDynamically: vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER,
});
console.log(script.cachedDataRejected ? 'rejected' : 'accepted');
EOF
cat >"$SMOKE_DIR/smoke/mounts.sh" <<'EOF'
# The commands LinuxMounter runs (apps/csi-driver/src/storage/mounter.ts), resolved via PATH as the
# driver's helper resolves them; mount state read from mountinfo with shell builtins only.
at() {
  want=$1 found=
  while IFS= read -r line; do
    set -- $line
    [ "$5" = "$want" ] || continue
    opts=$6
    shift 6
    while [ "$1" != - ]; do shift; done
    found="$2 $opts"
  done </proc/self/mountinfo
  echo "${found:-none}"
}
mount -t tmpfs -o mode=0700,nosuid,nodev,noexec tmpfs /m/src || exit 1
echo "tmpfs: $(at /m/src)"
mount --bind -o ro,nosuid,nodev,noexec /m/src /m/dst || exit 1
mount -o remount,bind,ro,nosuid,nodev,noexec /m/dst || exit 1
echo "bind: $(at /m/dst)"
umount /m/dst && umount /m/src || exit 1
echo "after umount: $(at /m/dst) $(at /m/src)"
EOF
smoke="type=bind,src=$SMOKE_DIR/smoke,dst=/smoke,options=rbind:ro"
# The chart runs both containers with readOnlyRootFilesystem.
out=$(c run --rm --read-only "$DRIVER" smoke-driver-help /usr/bin/tini -- node /app/dist/apps/csi-driver/main.js --help 2>&1)
check "driver entrypoint (chart command) --help" grep -q 'Usage: csi-driver' <<<"$out"
out=$(c run --rm --read-only "$DRIVER" smoke-approver-help /usr/bin/tini -- node /app/dist/apps/approver/main.js --help 2>&1)
check "approver entrypoint (chart command) --help" grep -q 'Usage: approver' <<<"$out"
out=$(c run --rm "$DRIVER" smoke-pid1 /usr/bin/tini -- node -e \
  'console.log(require("fs").readFileSync("/proc/1/comm", "utf8").trim(), process.getuid(), process.env.NODE_ENV)' 2>&1)
check "tini is PID 1, default user 65532, NODE_ENV=production ($(echo $out))" [ "$(echo $out)" = "tini 65532 production" ]
out=$(c run --rm --mount "$smoke" "$DRIVER" smoke-reap /usr/bin/tini -- sh -c \
  '(node /smoke/reap.js orphan &); exec node /smoke/reap.js check' 2>&1)
check "orphans are reaped by tini (no zombies left: $out)" [ "$out" = "reaped 0" ]
for app in approver csi-driver; do
  out=$(c run --rm --mount "$smoke" "$DRIVER" "smoke-cache-$app" /usr/bin/tini -- node /smoke/code-cache.js "$app" 2>&1)
  check "$app: V8 code cache accepted by the image's node ($out)" [ "$out" = accepted ]
done
# @kubernetes/client-node stays outside the bundles and is loaded lazily for exec/auth-provider
# kubeconfigs: an exec kubeconfig must get as far as running its credential plugin.
mkdir -p "$SMOKE_DIR/exec" && chmod 777 "$SMOKE_DIR/exec"
cat >"$SMOKE_DIR/exec/kubeconfig" <<'EOF'
apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:9"}}]
users: [{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: node, args: [/exec/plugin.js]}}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
EOF
cat >"$SMOKE_DIR/exec/plugin.js" <<'EOF'
require('node:fs').writeFileSync('/exec/ran', String(process.getuid()));
console.log(JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1beta1', kind: 'ExecCredential', status: { token: 't' } }));
EOF
c run -d --net-host --mount "type=bind,src=$SMOKE_DIR/exec,dst=/exec,options=rbind:rw" "$DRIVER" smoke-exec \
  /usr/bin/tini -- node /app/dist/apps/approver/main.js --kubeconfig=/exec/kubeconfig \
  --readiness-probe-bind-address=127.0.0.1:16162 --metrics-bind-address=127.0.0.1:16163 >/dev/null 2>&1
for _ in $(seq 60); do [ -s "$SMOKE_DIR/exec/ran" ] && break; sleep 0.5; done
c tasks kill -s KILL smoke-exec >/dev/null 2>&1
check "exec kubeconfig: client-node loads and runs the credential plugin (as uid $(cat "$SMOKE_DIR/exec/ran" 2>/dev/null))" \
  [ "$(cat "$SMOKE_DIR/exec/ran" 2>/dev/null)" = 65532 ]
config=$(c images export - "$DRIVER" 2>/dev/null | tar -xO --wildcards 'blobs/sha256/*' 2>/dev/null | grep -a -o '"Entrypoint":\[[^]]*\],"Cmd":\[[^]]*\]' | head -n1)
check "image ENTRYPOINT tini, CMD approver ($config)" grep -qF '"Entrypoint":["/usr/bin/tini","--"],"Cmd":["node","/app/dist/apps/approver/main.js"]' <<<"$config"
mkdir -p "$SMOKE_DIR/layers" && c images export - "$DRIVER" | tar -x -C "$SMOKE_DIR/layers"
# Every layer, not only the merged view (a later layer could hide an earlier file).
for b in "$SMOKE_DIR"/layers/blobs/sha256/*; do tar -tzf "$b" 2>/dev/null || tar -tf "$b" 2>/dev/null; done >"$SMOKE_DIR/listing"
check "layers listed ($(wc -l <"$SMOKE_DIR/listing") entries)" [ -s "$SMOKE_DIR/listing" ]
check "no CA bundle, npm cache or secret in any layer" \
  bash -c '! grep -E "(^|/)(etc/ssl/certs/ca-certificates\.crt|root/\.npm/|run/secrets/.)" "$1"' _ "$SMOKE_DIR/listing"
extra=$(grep -E "^(\./)?(etc/ssl/|usr/bin/(apt|apt-get|dpkg|cat|ls)\$|usr/local/bin/npm\$|usr/local/lib/node_modules/\$|var/lib/dpkg/\$)" "$SMOKE_DIR/listing" | tr '\n' ' ')
check "only the runtime: no /etc/ssl, apt, dpkg, npm or coreutils in any layer${extra:+ (found: $extra)}" [ -z "$extra" ]
# Nor any certificate of the host's bundle that Node's built-in store lacks (this machine's TLS
# setup; the others are inside the node binary anyway): a line from the middle of each, searched
# in every file of every layer.
node -e '
  const tls = require("tls"), fs = require("fs"), norm = (s) => s.replace(/\s+/g, "");
  const builtin = new Set(tls.rootCertificates.map(norm));
  const pems = fs.readFileSync(process.argv[1], "utf8").match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) || [];
  for (const pem of pems) if (!builtin.has(norm(pem))) console.log(pem.split("\n")[5]);' \
  "${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}" >"$SMOKE_DIR/needles"
found=$(for b in "$SMOKE_DIR"/layers/blobs/sha256/*; do tar -xzOf "$b" 2>/dev/null || tar -xOf "$b" 2>/dev/null; done |
  grep -a -o -F -f "$SMOKE_DIR/needles" | sort -u | wc -l)
check "none of the host's $(wc -l <"$SMOKE_DIR/needles") extra CA certificates in any layer (found $found)" [ "$found" = 0 ]
rm -rf "$SMOKE_DIR/layers" "$SMOKE_DIR/listing"

# An API server address nothing listens on (the driver starts without one; loopback only).
cat >"$SMOKE_DIR/kubeconfig" <<'EOF'
apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "http://127.0.0.1:9"}}]
users: [{name: u, user: {token: smoke}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
EOF
# The driver as the chart runs it: root (runAsUser: 0; the image's USER is 65532), privileged,
# read-only rootfs. `ctr run` has no --user, so the image's rootfs is mounted (a snapshot of its
# own, writable only so that runc can add mount points before --read-only applies) and run with
# --rootfs, where no image config applies (uid 0, cwd /; the image's ENV is given again).
rootfs_view="$SMOKE_DIR/driver-rootfs"
mkdir -p "$rootfs_view" "$SMOKE_DIR/m/src" "$SMOKE_DIR/m/dst" "$SMOKE_DIR/m/data"
c images mount --rw "$DRIVER" "$rootfs_view" >/dev/null 2>&1
check "image rootfs mounted for a root container" [ -x "$rootfs_view/usr/bin/tini" ]
root_run=(--privileged --read-only --rootfs --env PATH=/usr/local/bin:/usr/bin:/bin --env NODE_ENV=production --mount "$smoke"
  --mount "type=bind,src=$SMOKE_DIR/m,dst=/m,options=rbind:rw")
out=$(c run --rm "${root_run[@]}" "$rootfs_view" smoke-mounts /usr/bin/tini -- /bin/sh /smoke/mounts.sh 2>&1)
check "mount/umount in the image: tmpfs, read-only bind + remount, umount ($(echo $out))" \
  [ "$(echo $out)" = "tmpfs: tmpfs rw,nosuid,nodev,noexec,relatime bind: tmpfs ro,nosuid,nodev,noexec,relatime after umount: none none" ]
# The driver itself at start-up: its data root is no tmpfs yet, so it mounts one through its
# long-lived /bin/sh helper (ShellHelperRunner -> mount, found via PATH).
c run -d --log-uri "file://$SMOKE_DIR/driver-root.log" "${root_run[@]}" \
  --mount "type=bind,src=$SMOKE_DIR/kubeconfig,dst=/kubeconfig,options=rbind:ro" \
  "$rootfs_view" smoke-driver-root /usr/bin/tini -- node /app/dist/apps/csi-driver/main.js \
  --node-id=smoke --endpoint=unix:///m/csi.sock --data-root=/m/data --kubeconfig=/kubeconfig \
  --readiness-probe-bind-address=127.0.0.1:16164 --metrics-bind-address=0 >/dev/null 2>&1
task_pid=$(c tasks ls | awk '$1 == "smoke-driver-root" { print $2 }')
fstype=none
for _ in $(seq 60); do
  fstype=$(awk '$5 == "/m/data" { for (i = 7; $i != "-"; i++); print $(i + 1); exit }' "/proc/$task_pid/mountinfo" 2>/dev/null)
  [ "$fstype" = tmpfs ] && break; sleep 0.5
done
check "driver as root mounted its data root (/m/data: ${fstype:-none})" [ "$fstype" = tmpfs ]
[ "$fstype" = tmpfs ] || tail -n 5 "$SMOKE_DIR/driver-root.log" | sed 's/^/       /' 
# This container's processes only: tini (the task) -> node (its comm is MainThread) -> sh.
child() { local st pid comm ppid; for st in /proc/[0-9]*/stat; do
  read -r pid comm _ ppid _ <"$st" 2>/dev/null || continue
  [ "$ppid" = "$1" ] && [ -z "${2:-}" -o "$comm" = "(${2:-})" ] && echo "$pid" && return; done; }
driver_pid=$(child "$task_pid")
helper=$([ -n "$driver_pid" ] && child "$driver_pid" sh)
check "through its /bin/sh mount helper (tini ${task_pid:-?} -> node ${driver_pid:-none} -> sh ${helper:-none})" [ -n "$helper" ]
c tasks kill -s TERM smoke-driver-root >/dev/null 2>&1
for _ in $(seq 40); do c tasks ls | grep -q 'smoke-driver-root .*STOPPED' && break; sleep 0.25; done
check "driver as root stops on SIGTERM" bash -c "ctr -a '$sock' -n $ns tasks ls | grep -q 'smoke-driver-root .*STOPPED'"

# The chart gives the sidecars only args, so kubelet runs ENTRYPOINT + args; `ctr run` with
# arguments replaces ENTRYPOINT too, hence the explicit `node /standins/...` below.
entry() { buildah inspect --type image --format '{{.OCIv1.Config.Entrypoint}}|{{.OCIv1.Config.Cmd}}' "$1"; }
check "REGISTRAR ENTRYPOINT is the registrar stand-in, no CMD" [ "$(entry "$REGISTRAR")" = "[node /standins/registrar.js]|[]" ]
check "LIVENESS ENTRYPOINT is the livenessprobe stand-in, no CMD" [ "$(entry "$LIVENESS")" = "[node /standins/livenessprobe.js]|[]" ]

echo "DaemonSet wiring: DRIVER + REGISTRAR + LIVENESS (host network, shared /plugin)"
# ctr run has no --user: the driver runs as the image's user 65532 here (the chart runs it as
# root), on a data root that is already a tmpfs, so it needs no mount of its own.
chmod 777 "$SMOKE_DIR/plugin"
mount -t tmpfs -o mode=0777 smoke-data "$SMOKE_DIR/data"
plugin="type=bind,src=$SMOKE_DIR/plugin,dst=/plugin,options=rbind:rw"
c run -d --net-host --mount "$plugin" \
  --mount "type=bind,src=$SMOKE_DIR/data,dst=/csi-data-dir,options=rbind:rw" \
  --mount "type=bind,src=$SMOKE_DIR/kubeconfig,dst=/kubeconfig,options=rbind:ro" \
  "$DRIVER" smoke-driver /usr/bin/tini -- node /app/dist/apps/csi-driver/main.js \
  --node-id=smoke --endpoint=unix:///plugin/csi.sock --data-root=/csi-data-dir --kubeconfig=/kubeconfig \
  --readiness-probe-bind-address=127.0.0.1:16161 --metrics-bind-address=0 >"$SMOKE_DIR/driver.log" 2>&1
c run -d --net-host --mount "$plugin" \
  --mount "type=bind,src=$SMOKE_DIR/registration,dst=/registration,options=rbind:rw" \
  "$REGISTRAR" smoke-registrar node /standins/registrar.js -v=2 --csi-address=/plugin/csi.sock \
  --kubelet-registration-path=/var/lib/kubelet/plugins/cert-manager-csi-driver-spiffe/csi.sock >"$SMOKE_DIR/registrar.log" 2>&1
c run -d --net-host --mount "$plugin" "$LIVENESS" smoke-liveness node /standins/livenessprobe.js \
  --csi-address=/plugin/csi.sock --probe-timeout=3s --health-port=19819 -v=2 >"$SMOKE_DIR/liveness.log" 2>&1
reg="$SMOKE_DIR/registration/spiffe.csi.cert-manager.io-reg.sock"
for _ in $(seq 60); do [ -S "$reg" ] && break; sleep 0.5; done
check "registrar serves spiffe.csi.cert-manager.io-reg.sock" [ -S "$reg" ]
info=$(cd "$repo" && node -e '
  const grpc = require("@grpc/grpc-js"), loader = require("@grpc/proto-loader");
  const def = loader.loadSync("test/node/standins/pluginregistration.proto", { keepCase: true });
  const { Registration } = grpc.loadPackageDefinition(def).pluginregistration;
  const client = new Registration("unix://" + process.argv[1], grpc.credentials.createInsecure());
  client.GetInfo({}, { deadline: Date.now() + 5000 }, (err, info) => {
    if (err) { console.log(err.message); process.exit(1); }
    console.log(JSON.stringify(info)); process.exit(0);
  });' "$reg" 2>&1)
check "GetInfo: $info" [ "$info" = '{"type":"CSIPlugin","name":"spiffe.csi.cert-manager.io","endpoint":"/var/lib/kubelet/plugins/cert-manager-csi-driver-spiffe/csi.sock","supported_versions":["1.0.0"]}' ]
code=000
for _ in $(seq 20); do
  code=$(node -e 'require("http").get("http://127.0.0.1:19819/healthz", (r) => { console.log(r.statusCode); process.exit(0); }).on("error", () => { console.log("000"); process.exit(0); })')
  [ "$code" = 200 ] && break; sleep 0.5
done
check "livenessprobe /healthz -> $code (CSI Probe over the shared socket)" [ "$code" = 200 ]
c tasks kill -s TERM smoke-driver >/dev/null 2>&1
for _ in $(seq 20); do
  code=$(node -e 'require("http").get("http://127.0.0.1:19819/healthz", (r) => { console.log(r.statusCode); process.exit(0); }).on("error", () => { console.log("000"); process.exit(0); })')
  [ "$code" = 500 ] && break; sleep 0.5
done
check "livenessprobe /healthz -> $code once the driver is gone" [ "$code" = 500 ]

echo "WORKLOAD $WORKLOAD"
out=$(c run --rm "$WORKLOAD" smoke-workload sh -c \
  'id -u; stat -c %a /tmp; echo needle | grep -c needle; cat /etc/passwd >/dev/null && echo cat; sleep 0 && echo sleep' 2>&1)
check "sh id stat grep cat sleep ($(echo $out))" [ "$(echo $out)" = "0 1777 1 cat sleep" ]

echo "PAUSE $PAUSE"
c run -d "$PAUSE" smoke-pause >/dev/null 2>&1
sleep 0.5
check "pause runs" bash -c "ctr -a '$sock' -n $ns tasks ls | grep -q 'smoke-pause .*RUNNING'"
c tasks kill -s TERM smoke-pause >/dev/null 2>&1
for _ in $(seq 20); do c tasks ls | grep -q 'smoke-pause .*STOPPED' && break; sleep 0.2; done
check "pause exits on SIGTERM" bash -c "ctr -a '$sock' -n $ns tasks ls | grep -q 'smoke-pause .*STOPPED'"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
