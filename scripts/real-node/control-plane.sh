# Sourced by scripts/real-node.sh, after cluster.sh (whose constants it uses): the control plane
# (etcd, kube-apiserver, controller-manager, scheduler) on loopback, and asking it about the node.

node_running() {
  local cp
  cp=$(cp_dir)
  [ -f "$cp/admin.token" ] || return 1
  pid_alive "$node_state/pids/kubelet.pid" && pid_alive "$node_state/pids/kube-apiserver.pid" &&
    curl -sf --max-time 2 --cacert "$cp/pki/ca.crt" -H "Authorization: Bearer $(cat "$cp/admin.token")" \
      "https://127.0.0.1:$api_port/api/v1/nodes/$NODE_NAME" | grep -q '"type": "Ready",\s*$\|"type":"Ready"' 2>/dev/null
}

api_get() {
  local cp
  cp=$(cp_dir)
  curl -sf --max-time 5 --cacert "$cp/pki/ca.crt" -H "Authorization: Bearer $(cat "$cp/admin.token")" \
    "https://127.0.0.1:$api_port$1"
}

node_registered() { api_get "/api/v1/nodes/$NODE_NAME" >/dev/null 2>&1; }

# Ready, and schedulable: the node lifecycle controller has lifted the not-ready taint.
node_ready() {
  api_get "/api/v1/nodes/$NODE_NAME" 2>/dev/null |
    python3 -c 'import json,sys; n=json.load(sys.stdin); c=[x for x in n["status"]["conditions"] if x["type"]=="Ready"]; t=[x for x in n["spec"].get("taints") or [] if x["key"].startswith("node.kubernetes.io/")]; sys.exit(0 if c and c[0]["status"]=="True" and not t else 1)' 2>/dev/null
}

# A kubeconfig acting as a token from tokens.csv.
token_kubeconfig() {
  local name=$1 user=$2 groups=$3 cp token
  cp=$(cp_dir)
  token=$(openssl rand -hex 24)
  echo "$token,$user,$user-uid,\"$groups\"" >>"$cp/pki/tokens.csv"
  cat >"$cp/$name.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: node
  cluster:
    server: https://127.0.0.1:$api_port
    certificate-authority: $cp/pki/ca.crt
users:
- name: $name
  user:
    token: $token
contexts:
- name: node
  context: {cluster: node, user: $name}
current-context: node
EOF
  chmod 600 "$cp/$name.kubeconfig"
}

start_control_plane() {
  local bin=$1 cp
  cp=$(cp_dir)
  # real-apiserver/run.sh's PKI, kubeconfig and etcd, in our own state dir and ports.
  # shellcheck disable=SC2034 # used by the sourced functions
  state=$cp
  mkdir -p "$cp"
  chmod 700 "$cp"
  make_pki
  write_kubeconfig
  token_kubeconfig kube-controller-manager system:kube-controller-manager system:masters
  token_kubeconfig kube-scheduler system:kube-scheduler system:masters
  # kubelet as a real node identity: the Node authorizer and NodeRestriction apply to it (a
  # kubelet may only mint tokens for ServiceAccounts of Pods bound to its node).
  token_kubeconfig kubelet "system:node:$NODE_NAME" system:nodes

  local etcd_bin
  etcd_bin=$(command -v etcd || echo /usr/bin/etcd)
  spawn etcd env ETCD_UNSUPPORTED_ARCH="$(dpkg --print-architecture 2>/dev/null || true)" "$etcd_bin" \
    --name node --data-dir "$cp/etcd" \
    --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$((etcd_port + 1))" --initial-advertise-peer-urls "http://127.0.0.1:$((etcd_port + 1))" \
    --initial-cluster "node=http://127.0.0.1:$((etcd_port + 1))" --log-level warn --listen-metrics-urls ""
  wait_until etcd 30 etcd_healthy || { tail -n 20 "$node_state/logs/etcd.log" >&2; return 1; }

  local pki=$cp/pki
  spawn kube-apiserver "$bin/kube-apiserver" \
    --etcd-servers "http://127.0.0.1:$etcd_port" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$api_port" --insecure-port 0 \
    --tls-cert-file "$pki/serving.crt" --tls-private-key-file "$pki/serving.key" \
    --client-ca-file "$pki/ca.crt" --token-auth-file "$pki/tokens.csv" \
    --authorization-mode Node,RBAC --anonymous-auth=false \
    --enable-admission-plugins NodeRestriction \
    --feature-gates CSIServiceAccountToken=true \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
    --service-cluster-ip-range 10.96.0.0/24 --allow-privileged \
    --kubelet-preferred-address-types InternalIP --kubelet-https=true \
    --cert-dir "$cp/apiserver-certs"
  # shellcheck disable=SC2317
  api_up() { curl -sf --max-time 2 --cacert "$pki/ca.crt" -H "Authorization: Bearer $(cat "$cp/admin.token")" "https://127.0.0.1:$api_port/readyz" >/dev/null; }
  wait_until kube-apiserver 120 api_up || { tail -n 30 "$node_state/logs/kube-apiserver.log" >&2; return 1; }

  spawn kube-controller-manager "$bin/kube-controller-manager" \
    --kubeconfig "$cp/kube-controller-manager.kubeconfig" \
    --controllers daemonset,deployment,replicaset,garbagecollector,serviceaccount-token,serviceaccount,namespace,nodelifecycle \
    --service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/ca.crt" \
    --leader-elect=false --port 0 --secure-port 0 --bind-address 127.0.0.1 \
    --concurrent-deployment-syncs 2 --concurrent-replicaset-syncs 2 --concurrent-gc-syncs 5
  spawn kube-scheduler "$bin/kube-scheduler" \
    --kubeconfig "$cp/kube-scheduler.kubeconfig" --leader-elect=false --port 0 --secure-port 0 --bind-address 127.0.0.1
}
