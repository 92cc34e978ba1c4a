# Sourced by scripts/real-node.sh, after cluster.sh (whose constants it uses): what the tier
# changes on the host, recorded before and put back after, and the teardown of everything it started.

record_host() {
  local f=$node_state/host
  mkdir -p "$f"
  [ -f "$f/recorded" ] && return
  local s
  for s in "${KUBELET_SYSCTLS[@]}"; do
    [ -f "/proc/sys/$s" ] && echo "$s $(cat "/proc/sys/$s")" >>"$f/sysctls"
  done
  local d
  for d in "$KUBELET_ROOT" /var/log/pods /var/log/containers "$CSI_DATA_DIR" /etc/kubernetes /run/containerd; do
    [ -e "$d" ] && echo "$d" >>"$f/existing-dirs"
  done
  touch "$f/recorded"
}

restore_host() {
  local f=$node_state/host s v
  [ -f "$f/sysctls" ] && while read -r s v; do
    [ "$(cat "/proc/sys/$s" 2>/dev/null)" = "$v" ] || { echo "$v" >"/proc/sys/$s" 2>/dev/null && log "restored $s = $v"; } || true
  done <"$f/sysctls"
  local d
  for d in "$KUBELET_ROOT" /var/log/pods /var/log/containers "$CSI_DATA_DIR" /etc/kubernetes; do
    if [ -e "$d" ] && ! grep -qx "$d" "$f/existing-dirs" 2>/dev/null; then rm -rf --one-file-system "$d"; fi
  done
  # containerd's shims and runc keep sockets and state under /run/containerd whatever the config
  # says; another containerd may share it, so only its empty dirs go, and only if we made it.
  if [ -d /run/containerd ] && ! grep -qx /run/containerd "$f/existing-dirs" 2>/dev/null; then
    find /run/containerd -depth -type d -empty -delete 2>/dev/null || true
  fi
}

# Every mount point at or below one of the given dirs, deepest first.
mounts_under() {
  local dir
  for dir in "$@"; do
    awk -v d="$dir" '{ gsub(/\\040/, " ", $5); if ($5 == d || index($5, d "/") == 1) print length($5), $5 }' /proc/self/mountinfo
  done | sort -rn | cut -d' ' -f2- | uniq
}

unmount_all() {
  local m pass
  for pass in 1 2 3; do
    local left=0
    while IFS= read -r m; do
      [ -n "$m" ] || continue
      umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || left=1
    done < <(mounts_under "$KUBELET_ROOT" "$CSI_DATA_DIR" "$node_state" "$(run_dir)")
    [ "$left" = 0 ] && [ -z "$(mounts_under "$KUBELET_ROOT" "$CSI_DATA_DIR" "$node_state" "$(run_dir)")" ] && return 0
    sleep 0.5
  done
  log "still mounted: $(mounts_under "$KUBELET_ROOT" "$CSI_DATA_DIR" "$node_state" "$(run_dir)" | tr '\n' ' ')"
}

# PIDs in the tier's cgroup tree (pids hierarchy, or the first one mounted).
cgroup_pids() {
  local h
  h=$(cgroup_hierarchies | grep -m1 '/pids$' || cgroup_hierarchies | head -n 1)
  [ -d "$h/$NODE_CGROUP" ] || return 0
  find "$h/$NODE_CGROUP" -name cgroup.procs -exec cat {} + 2>/dev/null | sort -u
}

# The init PIDs of our containerd's tasks (a container whose cgroup escaped ours still ends here).
our_task_pids() {
  [ -S "$(containerd_sock)" ] || return 0
  timeout 10 ctr --address "$(containerd_sock)" -n k8s.io tasks ls 2>/dev/null | awk 'NR > 1 && $2 > 0 { print $2 }'
}

# Our containerd's containers, ended through containerd itself so that each shim shuts down and
# removes its socket under /run/containerd/s (a path containerd 1.6 shares between all instances).
remove_our_containers() {
  [ -S "$(containerd_sock)" ] || return 0
  local c ids
  ctr_() { timeout 10 ctr --address "$(containerd_sock)" -n k8s.io "$@" >/dev/null 2>&1; }
  ids=$(timeout 10 ctr --address "$(containerd_sock)" -n k8s.io containers ls -q 2>/dev/null) || return 0
  for c in $ids; do ctr_ tasks kill -a -s SIGKILL "$c" || true; done
  for c in $ids; do ctr_ tasks delete -f "$c" || true; ctr_ containers delete "$c" || true; done
}

kill_tier_processes() {
  local name tasks
  tasks=$(our_task_pids)
  # Kubelet first (it would restart containers), then the runtime, then the control plane.
  stop_pid_file "$node_state/pids/kubelet.pid"
  remove_our_containers
  # shellcheck disable=SC2086
  [ -z "$tasks" ] || kill -KILL $tasks 2>/dev/null || true
  for name in containerd kube-scheduler kube-controller-manager kube-apiserver etcd; do
    stop_pid_file "$node_state/pids/$name.pid"
  done
  local i pids
  for i in 1 2 3 4 5 6 7 8 9 10; do
    pids=$(cgroup_pids)
    [ -n "$pids" ] || break
    # shellcheck disable=SC2086
    kill -KILL $pids 2>/dev/null || true
    sleep 0.3
  done
  [ -z "$(cgroup_pids)" ] || log "processes left in the tier's cgroup: $(cgroup_pids | tr '\n' ' ')"
}

remove_cgroups() {
  local h
  # The v1 hierarchies and the hybrid unified (v2) one: kubelet's cgroup manager makes its dirs there too.
  for h in $(awk '$3 == "cgroup" || $3 == "cgroup2" { print $2 }' /proc/self/mounts); do
    [ -d "$h/$NODE_CGROUP" ] || continue
    find "$h/$NODE_CGROUP" -depth -type d -exec rmdir {} \; 2>/dev/null || true
    [ -d "$h/$NODE_CGROUP" ] && log "could not remove cgroup $h/$NODE_CGROUP"
  done
  return 0
}

node_down() {
  [ -d "$node_state" ] || { rm -rf "$(run_dir)"; log "nothing to stop"; return 0; }
  kill_tier_processes
  unmount_all
  remove_cgroups
  restore_host
  rm -rf --one-file-system "$(run_dir)"
  # Only ever delete a directory this script made.
  if [ -d "$node_state/pids" ]; then rm -rf --one-file-system "$node_state"; fi
  log "stopped; host restored"
}
