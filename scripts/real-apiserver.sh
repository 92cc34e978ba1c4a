#!/usr/bin/env bash
# A real kube-apiserver (plus etcd) for the test:real tier, built from Debian bookworm's
# `kubernetes` source package because no registry ships the binary.
#
#   scripts/real-apiserver.sh build   build (or reuse) the cached binary, print its path
#   scripts/real-apiserver.sh build-all  the same for all control-plane binaries and kubelet (test:node),
#                                     print their directory
#   scripts/real-apiserver.sh start   build if needed, start etcd + kube-apiserver on 127.0.0.1,
#                                     print the state dir (kubeconfig, CA, admin token, PIDs)
#   scripts/real-apiserver.sh stop    stop both by PID and delete the state dir
#   scripts/real-apiserver.sh status  exit 0 when running, 1 when not
#
# Exit code 77 means "cannot run here" (no root, no apt-get, no source package): callers skip.
# Environment: REAL_APISERVER_STATE (default /tmp/csi-driver-spiffe-real-apiserver),
# REAL_APISERVER_CACHE (default ~/.cache/csi-driver-spiffe), REAL_APISERVER_PORT (default 16443),
# REAL_ETCD_PORT (default 12379).
set -euo pipefail

readonly SKIP=77
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache_root="${REAL_APISERVER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/csi-driver-spiffe}"
state="${REAL_APISERVER_STATE:-/tmp/csi-driver-spiffe-real-apiserver}"
api_port="${REAL_APISERVER_PORT:-16443}"
etcd_port="${REAL_ETCD_PORT:-12379}"

log() { echo "real-apiserver: $*" >&2; }
skip() { log "skipping: $*"; exit "$SKIP"; }

# shellcheck source=scripts/real-apiserver/build.sh
. "$here/real-apiserver/build.sh"
# shellcheck source=scripts/real-apiserver/run.sh
. "$here/real-apiserver/run.sh"

case "${1:-}" in
  build) build_apiserver ;;
  build-all) build_kubernetes ;;
  start) start_apiserver ;;
  stop) stop_apiserver ;;
  status) apiserver_running ;;
  *)
    echo "usage: $0 build|build-all|start|stop|status" >&2
    exit 2
    ;;
esac
