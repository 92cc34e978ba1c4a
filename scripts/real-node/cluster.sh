# Sourced by scripts/real-node.sh: start and stop the single-node cluster, loopback only, and
# leave the host as it was found.

readonly NODE_PACKAGES=(containerd runc etcd-server openssl curl util-linux buildah containernetworking-plugins iproute2 python3)
# Every process of the tier runs in this cgroup (in each v1 hierarchy), so containers that runc
# creates nest below it (kubelet runs with cgroupsPerQOS=false and passes no cgroup parent) and
# `down` can find every process, containerd-shims included, and remove every cgroup it made.
readonly NODE_CGROUP=csi-driver-spiffe-node
# The sysctls kubelet's container manager rewrites (pkg/kubelet/cm setupKernelTunables).
readonly KUBELET_SYSCTLS=(vm/overcommit_memory vm/panic_on_oom kernel/panic kernel/panic_on_oops
  kernel/keys/root_maxkeys kernel/keys/root_maxbytes)
# The driver's data dir (the chart's app.driver.csiDataDir default).
readonly CSI_DATA_DIR=/tmp/cert-manager-csi-driver

cp_dir() { echo "$node_state/control-plane"; }
run_dir() { echo "/run/csi-driver-spiffe-node"; }
containerd_sock() { echo "$(run_dir)/containerd.sock"; }

install_node_packages() { install_packages "${NODE_PACKAGES[@]}"; }

cgroup_hierarchies() {
  # v1 hierarchies mounted under /sys/fs/cgroup (the unified v2 mount is not used by runc here).
  awk '$3 == "cgroup" { print $2 }' /proc/self/mounts
}

make_node_cgroup() {
  local h
  for h in $(cgroup_hierarchies); do
    mkdir -p "$h/$NODE_CGROUP"
    if [ -f "$h/cpuset.cpus" ]; then
      cat "$h/cpuset.cpus" >"$h/$NODE_CGROUP/cpuset.cpus"
      cat "$h/cpuset.mems" >"$h/$NODE_CGROUP/cpuset.mems"
    fi
  done
}

# Runs "$@" in the background inside the tier's cgroup, in its own session; records its PID.
spawn() {
  local name=$1
  shift
  local logf="$node_state/logs/$name.log"
  # shellcheck disable=SC2016
  setsid bash -c 'for h in $1; do echo $$ >"$h/'"$NODE_CGROUP"'/cgroup.procs"; done; shift; exec "$@"' \
    _ "$(cgroup_hierarchies | tr '\n' ' ')" "$@" >"$logf" 2>&1 </dev/null &
  echo $! >"$node_state/pids/$name.pid"
}

# ---------------------------------------------------------------------------- node

start_containerd() {
  local run pause=$1
  run=$(run_dir)
  mkdir -p "$node_state/containerd" "$node_state/cni/net.d" "$run"
  # A loopback-only CNI config: the CRI plugin reports the network ready once it has one; every
  # Pod here uses hostNetwork, so no CNI plugin is ever invoked.
  cat >"$node_state/cni/net.d/10-loopback.conflist" <<EOF
{"cniVersion": "0.4.0", "name": "loopback-only", "plugins": [{"type": "loopback"}]}
EOF
  cat >"$node_state/containerd/config.toml" <<EOF
version = 2
root = "$node_state/containerd/root"
state = "$run/containerd-state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.tracing.processor.v1.otlp"]
[grpc]
  address = "$(containerd_sock)"
[ttrpc]
  address = "$run/containerd.sock.ttrpc"
[debug]
  address = "$run/containerd-debug.sock"
[metrics]
  address = ""
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$pause"
  # Root in these VMs lacks CAP_SYS_RESOURCE: without this runc fails every sandbox with
  # "can't get final child's PID from pipe" when it lowers oom_score_adj.
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$node_state/cni/net.d"
EOF
  spawn containerd containerd --config "$node_state/containerd/config.toml"
  # shellcheck disable=SC2317
  containerd_up() { ctr --address "$(containerd_sock)" version >/dev/null 2>&1; }
  wait_until containerd 30 containerd_up || { tail -n 30 "$node_state/logs/containerd.log" >&2; return 1; }
}

# kubelet's root dir and the driver's data dir must be shared mounts for the chart's
# Bidirectional mount propagation (runc refuses rshared binds of a private source otherwise); a
# bind of each onto itself, made rshared, keeps the rest of the host's mounts as they are.
make_shared_mounts() {
  local d
  for d in "$KUBELET_ROOT" "$CSI_DATA_DIR"; do
    mkdir -p "$d"
    mountpoint -q "$d" || mount --bind "$d" "$d"
    mount --make-rshared "$d"
  done
}

start_kubelet() {
  local bin=$1 cp
  cp=$(cp_dir)
  mkdir -p "$node_state/kubelet"
  cat >"$node_state/kubelet/config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: 127.0.0.1
port: $KUBELET_PORT
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $KUBELET_HEALTHZ_PORT
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: false}
authorization:
  mode: AlwaysAllow
featureGates:
  CSIServiceAccountToken: true
cgroupDriver: cgroupfs
# kubelet's QoS cgroups (kubepods, burstable, besteffort, pod<uid>) under the tier's own cgroup, so
# every container nests below it: without a cgroup parent containerd would put them at /k8s.io/<id>,
# beside other users' containers and out of reach of real-node.sh down.
cgroupsPerQOS: true
cgroupRoot: /$NODE_CGROUP
enforceNodeAllocatable: [pods]
failSwapOn: false
# No iptables chains: nothing here routes anything (loopback only, no kube-proxy).
makeIPTablesUtilChains: false
hairpinMode: none
resolvConf: /etc/resolv.conf
evictionHard:
  memory.available: 100Mi
  nodefs.available: 1%
  imagefs.available: 1%
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
serializeImagePulls: false
# Faster than the defaults so checks do not wait on status reports.
nodeStatusUpdateFrequency: 4s
syncFrequency: 20s
fileCheckFrequency: 20s
volumeStatsAggPeriod: 0s
rotateCertificates: false
EOF
  # AWS_EC2_METADATA_DISABLED: kubelet's in-tree ECR credential provider otherwise asks the cloud
  # metadata address 169.254.169.254 for credentials at start (caught by the loopback check).
  spawn kubelet env AWS_EC2_METADATA_DISABLED=true "$bin/kubelet" --config "$node_state/kubelet/config.yaml" \
    --kubeconfig "$cp/kubelet.kubeconfig" \
    --container-runtime remote --container-runtime-endpoint "unix://$(containerd_sock)" \
    --runtime-request-timeout 2m \
    --root-dir "$KUBELET_ROOT" --cert-dir "$node_state/kubelet/pki" \
    --hostname-override "$NODE_NAME" --node-ip 127.0.0.1 --v 1
  wait_until "node $NODE_NAME registered" 60 node_registered || { tail -n 40 "$node_state/logs/kubelet.log" >&2; return 1; }
  # kubelet refuses a loopback node IP ("nodeIP can't be loopback address") and then leaves the
  # Node's addresses alone. Without an address, hostNetwork Pods get no podIP and kubelet's HTTP
  # probes have no host to dial; with the node's real interface address they would leave loopback.
  # So the tier records InternalIP 127.0.0.1 itself, as a cloud provider would record an address.
  local cp_ca=$cp/pki/ca.crt
  curl -sf --max-time 5 --cacert "$cp_ca" -H "Authorization: Bearer $(cat "$cp/admin.token")" -X PATCH \
    -H 'Content-Type: application/merge-patch+json' \
    -d '{"status":{"addresses":[{"type":"InternalIP","address":"127.0.0.1"},{"type":"Hostname","address":"'"$NODE_NAME"'"}]}}' \
    "https://127.0.0.1:$api_port/api/v1/nodes/$NODE_NAME/status" >/dev/null
  wait_until "node $NODE_NAME Ready" 120 node_ready || { tail -n 40 "$node_state/logs/kubelet.log" >&2; return 1; }
}

# The images the tier runs (KEY=image lines), from the node-image script.
IMAGE_SCRIPT="${REAL_NODE_IMAGE_SCRIPT:-$here/real-node/image.sh}"

node_env() {
  local cp
  cp=$(cp_dir)
  echo "STATE=$node_state"
  echo "CONTROL_PLANE=$cp"
  echo "KUBECONFIG=$cp/kubeconfig"
  echo "API_PORT=$api_port"
  echo "CONTAINERD_SOCKET=$(containerd_sock)"
  echo "NODE_NAME=$NODE_NAME"
  echo "KUBELET_ROOT=$KUBELET_ROOT"
  echo "CSI_DATA_DIR=$CSI_DATA_DIR"
  [ -f "$node_state/images.env" ] && cat "$node_state/images.env"
  [ -f "$node_state/timings.env" ] && cat "$node_state/timings.env"
  return 0
}

# Runs "$@" and records how long it took (TIME_<name>=seconds, for the tier's closing summary).
stage() {
  local name=$1 started
  shift
  started=$(date +%s%N)
  "$@" || return
  echo "TIME_$name=$(( ($(date +%s%N) - started) / 1000000 ))ms" >>"$node_state/timings.env"
}

build_images() {
  [ -x "$IMAGE_SCRIPT" ] || { log "missing $IMAGE_SCRIPT (the image build)"; return 1; }
  "$IMAGE_SCRIPT" build >&2
}

import_images() {
  "$IMAGE_SCRIPT" import "$(containerd_sock)" >&2
}

node_up() {
  [ "$(id -u)" = 0 ] || skip "needs root: kubelet, containerd, tmpfs and bind mounts"
  require_apt
  install_node_packages
  if node_running; then
    log "already running"
    echo "$node_state"
    return
  fi
  node_down >/dev/null 2>&1 || true # leftovers of a crashed run
  mkdir -p "$node_state/pids" "$node_state/logs"
  chmod 700 "$node_state"
  : >"$node_state/timings.env"
  local bin started
  started=$(date +%s%N)
  bin=$(build_kubernetes)
  echo "TIME_kubernetes_build=$(( ($(date +%s%N) - started) / 1000000 ))ms" >>"$node_state/timings.env"
  stage images_build build_images
  "$IMAGE_SCRIPT" names >"$node_state/images.env"
  local pause
  pause=$(sed -n 's/^PAUSE=//p' "$node_state/images.env")
  [ -n "$pause" ] || { log "image.sh names printed no PAUSE image"; return 1; }
  record_host
  make_node_cgroup
  make_shared_mounts
  stage control_plane start_control_plane "$bin" || { log "control plane failed; logs in $node_state/logs"; return 1; }
  stage containerd start_containerd "$pause" || return 1
  stage images_import import_images || return 1
  stage kubelet start_kubelet "$bin" || return 1
  log "node $NODE_NAME Ready; API https://127.0.0.1:$api_port; kubeconfig $(cp_dir)/kubeconfig"
  echo "$node_state"
}
