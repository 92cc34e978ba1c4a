#!/usr/bin/env bash
# Smoke check of the real-node tier's images, without a cluster (the tier's tests are the real
# check). As root, after `scripts/real-node/image.sh build`:
#
#   test/node/smoke-images.sh
#
# Starts a private containerd (own root/state/socket under $SMOKE_DIR, CRI disabled), imports the
# images with `image.sh import`, and with `ctr run` checks:
#   - DRIVER: the chart's two commands (tini -- node .../main.js) start (--help), tini is PID 1
#     and reaps orphans; the default CMD is the approver; an exec kubeconfig loads the lazily
#     required @kubernetes/client-node; no host CA bundle / npm cache in any layer;
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
cleanup() {
  local id
  for id in $(c tasks ls -q 2>/dev/null); do c tasks kill -s KILL "$id" >/dev/null 2>&1; done
  sleep 0.5
  for id in $(c containers ls -q 2>/dev/null); do c tasks rm -f "$id" >/dev/null 2>&1; c containers rm "$id" >/dev/null 2>&1; done
  [ -n "$containerd_pid" ] && kill "$containerd_pid" 2>/dev/null && wait "$containerd_pid" 2>/dev/null
  grep -o " $SMOKE_DIR/[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null
  rm -rf "$SMOKE_DIR"
}
trap cleanup EXIT

rm -rf "$SMOKE_DIR" && mkdir -p "$SMOKE_DIR"/{root,state,plugin,registration,data}
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
out=$(c run --rm "$DRIVER" smoke-driver-help /usr/bin/tini -- node /app/dist/apps/csi-driver/main.js --help 2>&1)
check "driver entrypoint (chart command) --help" grep -q 'Usage: csi-driver' <<<"$out"
out=$(c run --rm "$DRIVER" smoke-approver-help /usr/bin/tini -- node /app/dist/apps/approver/main.js --help 2>&1)
check "approver entrypoint (chart command) --help" grep -q 'Usage: approver' <<<"$out"
out=$(c run --rm "$DRIVER" smoke-pid1 /usr/bin/tini -- sh -c 'cat /proc/1/comm; id -u' 2>&1)
check "tini is PID 1, default user 65532" [ "$(echo $out)" = "tini 65532" ]
# An orphan (the inner sh exits at once, its sleep is reparented to PID 1): tini must reap it.
out=$(c run --rm "$DRIVER" smoke-reap /usr/bin/tini -- sh -c \
  '(sleep 0.3 &); sleep 1.5; grep -l "^State:.*Z" /proc/[0-9]*/status 2>/dev/null | wc -l' 2>&1)
check "orphans are reaped (no zombies under tini)" [ "$out" = 0 ]
# @kubernetes/client-node stays outside the bundles and is loaded lazily for exec/auth-provider
# kubeconfigs: an exec kubeconfig must get as far as running its credential plugin.
mkdir -p "$SMOKE_DIR/exec" && chmod 777 "$SMOKE_DIR/exec"
cat >"$SMOKE_DIR/exec/kubeconfig" <<'EOF'
apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:9"}}]
users: [{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: /bin/sh,
  args: ["-c", "id -u >/exec/ran; echo '{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"t\"}}'"]}}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
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

# The chart gives the sidecars only args, so kubelet runs ENTRYPOINT + args; `ctr run` with
# arguments replaces ENTRYPOINT too, hence the explicit `node /standins/...` below.
entry() { buildah inspect --type image --format '{{.OCIv1.Config.Entrypoint}}|{{.OCIv1.Config.Cmd}}' "$1"; }
check "REGISTRAR ENTRYPOINT is the registrar stand-in, no CMD" [ "$(entry "$REGISTRAR")" = "[node /standins/registrar.js]|[]" ]
check "LIVENESS ENTRYPOINT is the livenessprobe stand-in, no CMD" [ "$(entry "$LIVENESS")" = "[node /standins/livenessprobe.js]|[]" ]

echo "DaemonSet wiring: DRIVER + REGISTRAR + LIVENESS (host network, shared /plugin)"
cat >"$SMOKE_DIR/kubeconfig" <<'EOF'
apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "http://127.0.0.1:9"}}]
users: [{name: u, user: {token: smoke}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
EOF
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
