#!/usr/bin/env bash
# A real single-node cluster for the test:node tier, loopback only: etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler and kubelet built from Debian's `kubernetes` source
# (scripts/real-apiserver.sh build-all, with the kubelet gRPC :authority backport), containerd and
# runc from Debian with their own config, state dirs and socket.
#
#   scripts/real-node.sh up       build (cached) and start everything, import the images, wait
#                                 for the node to be Ready; print the state dir
#   scripts/real-node.sh down     stop everything by PID (containerd-shims too), unmount what
#                                 kubelet and the driver mounted, restore the sysctls kubelet
#                                 changed, remove the dirs and cgroups the tier made
#   scripts/real-node.sh status   exit 0 when the node is up
#   scripts/real-node.sh env      print KEY=value lines (ports, socket, images) for the tests
#
# Exit code 77 means "cannot run here" (no root, no apt-get, no source package): callers skip.
# Nothing listens on or connects to a non-loopback address: every Pod must use hostNetwork, the
# only CNI config is a loopback one, kube-proxy is not run, and the apps get the API server's
# address (127.0.0.1:$NODE_APISERVER_PORT) through the chart's app.extraEnv.
#
# Environment: REAL_NODE_STATE (default /var/lib/csi-driver-spiffe-node), REAL_APISERVER_CACHE,
# NODE_APISERVER_PORT (default 36443), NODE_ETCD_PORT (default 32379).
set -euo pipefail

readonly SKIP=77
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache_root="${REAL_APISERVER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/csi-driver-spiffe}"
node_state="${REAL_NODE_STATE:-/var/lib/csi-driver-spiffe-node}"
api_port="${NODE_APISERVER_PORT:-36443}"
etcd_port="${NODE_ETCD_PORT:-32379}"
# Kubelet's root dir is the default one on purpose: the chart's hostPaths assume it.
readonly KUBELET_ROOT=/var/lib/kubelet
readonly NODE_NAME=csi-node
# Ports of the node's own processes, away from the defaults (10250, ...) and from test:real's.
readonly KUBELET_PORT=30250 KUBELET_HEALTHZ_PORT=30248

log() { echo "real-node: $*" >&2; }
skip() { log "skipping: $*"; exit "$SKIP"; }

# shellcheck source=scripts/real-apiserver/build.sh
. "$here/real-apiserver/build.sh"
# shellcheck source=scripts/real-apiserver/run.sh
. "$here/real-apiserver/run.sh"
# shellcheck source=scripts/real-node/cluster.sh
. "$here/real-node/cluster.sh"
# shellcheck source=scripts/real-node/host-state.sh
. "$here/real-node/host-state.sh"
# shellcheck source=scripts/real-node/control-plane.sh
. "$here/real-node/control-plane.sh"

case "${1:-}" in
  up) node_up ;;
  down) node_down ;;
  status) node_running ;;
  env) node_env ;;
  *)
    echo "usage: $0 up|down|status|env" >&2
    exit 2
    ;;
esac
