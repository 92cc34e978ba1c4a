# Sourced by scripts/real-apiserver.sh: a throwaway PKI, then etcd and kube-apiserver on
# 127.0.0.1 only (RBAC on, ServiceAccount tokens signed with our own key), stopped by PID.

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

apiserver_running() {
  pid_alive "$state/etcd.pid" && pid_alive "$state/kube-apiserver.pid" &&
    curl -sf --max-time 2 --cacert "$state/pki/ca.crt" -H "Authorization: Bearer $(cat "$state/admin.token")" \
      "https://127.0.0.1:$api_port/readyz" >/dev/null
}

make_pki() {
  local pki=$state/pki
  mkdir -p "$pki"
  (
    cd "$pki"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 \
      -subj "/CN=csi-driver-spiffe real-apiserver CA" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -keyout serving.key -out serving.csr -subj "/CN=kube-apiserver" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\n' >serving.ext
    openssl x509 -req -in serving.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
      -extfile serving.ext -out serving.crt 2>/dev/null
    # The key pair that signs (and verifies) ServiceAccount tokens, as the TokenRequest API needs.
    openssl genrsa -out sa.key 2048 2>/dev/null
    openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
    chmod 600 ./*.key
  )
  openssl rand -hex 24 >"$state/admin.token"
  chmod 600 "$state/admin.token"
  echo "$(cat "$state/admin.token"),kube-admin,kube-admin-uid,\"system:masters\"" >"$pki/tokens.csv"
  chmod 600 "$pki/tokens.csv"
}

write_kubeconfig() {
  cat >"$state/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: real
  cluster:
    server: https://127.0.0.1:$api_port
    certificate-authority-data: $(base64 -w0 <"$state/pki/ca.crt")
users:
- name: kube-admin
  user:
    token: $(cat "$state/admin.token")
contexts:
- name: real
  context: {cluster: real, user: kube-admin}
current-context: real
EOF
  chmod 600 "$state/kubeconfig"
}

wait_until() {
  local what=$1 seconds=$2
  shift 2
  local i
  for ((i = 0; i < seconds * 5; i++)); do
    if "$@"; then return 0; fi
    sleep 0.2
  done
  log "$what did not come up in ${seconds}s"
  return 1
}

etcd_healthy() { curl -sf --max-time 2 "http://127.0.0.1:$etcd_port/health" | grep -q '"true"'; }

start_etcd() {
  local etcd_bin
  etcd_bin=$(command -v etcd || echo /usr/bin/etcd)
  [ -x "$etcd_bin" ] || { log "etcd not found (package etcd-server)"; return 1; }
  local peer=$((etcd_port + 1))
  # ETCD_UNSUPPORTED_ARCH keeps etcd 3.4 starting on arm64 too.
  ETCD_UNSUPPORTED_ARCH="$(dpkg --print-architecture 2>/dev/null || true)" \
    setsid "$etcd_bin" --name real --data-dir "$state/etcd" \
    --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$peer" --initial-advertise-peer-urls "http://127.0.0.1:$peer" \
    --initial-cluster "real=http://127.0.0.1:$peer" --log-level warn \
    >"$state/etcd.log" 2>&1 </dev/null &
  echo $! >"$state/etcd.pid"
  wait_until etcd 30 etcd_healthy || { tail -n 20 "$state/etcd.log" >&2; return 1; }
}

start_kube_apiserver() {
  local binary=$1 pki=$state/pki
  setsid "$binary" \
    --etcd-servers "http://127.0.0.1:$etcd_port" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$api_port" --insecure-port 0 \
    --tls-cert-file "$pki/serving.crt" --tls-private-key-file "$pki/serving.key" \
    --client-ca-file "$pki/ca.crt" --token-auth-file "$pki/tokens.csv" \
    --authorization-mode RBAC --anonymous-auth=false \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
    --service-cluster-ip-range 10.96.0.0/24 --allow-privileged \
    --cert-dir "$state/apiserver-certs" \
    >"$state/kube-apiserver.log" 2>&1 </dev/null &
  echo $! >"$state/kube-apiserver.pid"
  wait_until kube-apiserver 120 apiserver_running || { tail -n 30 "$state/kube-apiserver.log" >&2; return 1; }
}

# Prints the state dir; the kubeconfig, CA and admin token are in it.
start_apiserver() {
  if apiserver_running; then
    log "already running; kubeconfig: $state/kubeconfig"
    echo "$state"
    return
  fi
  local binary
  binary=$(build_apiserver)
  command -v curl >/dev/null || skip "curl is needed to probe the servers"
  stop_apiserver 2>/dev/null # leftovers of a crashed run
  mkdir -p "$state"
  chmod 700 "$state"
  make_pki
  write_kubeconfig
  if ! start_etcd || ! start_kube_apiserver "$binary"; then
    log "start failed; logs in $state"
    stop_processes
    return 1
  fi
  log "running on https://127.0.0.1:$api_port; kubeconfig: $state/kubeconfig"
  echo "$state"
}

stop_pid_file() {
  local file=$1 pid i
  [ -f "$file" ] || return 0
  pid=$(cat "$file")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$file"
}

stop_processes() {
  stop_pid_file "$state/kube-apiserver.pid"
  stop_pid_file "$state/etcd.pid"
}

stop_apiserver() {
  stop_processes
  # Only ever delete a directory this script made (it holds our pid files or PKI).
  if [ -d "$state/pki" ] || [ -d "$state/etcd" ]; then rm -rf "$state"; fi
  log "stopped"
}
