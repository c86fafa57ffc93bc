#!/usr/bin/env bash
# A real single-node Kubernetes cluster for the real-cluster e2e suite: the control plane of
# cluster.sh plus a node (containerd + runc + CNI bridge, kubelet, kube-proxy) and the
# scheduler, the controller-manager and CoreDNS, so that a Helm chart's Deployment becomes
# running Pods and the API server calls webhooks through their Service.
#
#   node.sh up --images TARBALL   start everything, import the images (scripts/image/build.sh),
#                                 wait for the node and CoreDNS, print `export` lines
#   node.sh exec CMD [ARG...]     run a command inside the cluster's network namespace (kubectl,
#                                 helm, chainsaw: the API server is reachable only from there)
#   node.sh env [DIR]             print the `export` lines of a running cluster
#   node.sh down [DIR]            stop everything and remove what `up` made (DIR defaults to
#                                 $KCLGUARD_NODE_DIR); safe to run after a failed or killed `up`
#
# Isolation: the whole cluster lives in a network namespace and a mount namespace of its own,
# held open by one `sleep` process. The namespace has no interface to the outside, only its
# loopback and a bridge with the addresses below, so no packet of the cluster can leave it, and
# its iptables rules (kube-proxy), routes, sysctls and interfaces vanish with it. Mounts made by
# containerd, runc and kubelet stay inside the mount namespace and vanish with it too. What is
# not namespaced is undone explicitly by `down`: the cgroups under a cgroup root of its own, the
# kernel sysctls kubelet sets (saved at `up`, restored), the empty directories created as mount
# points for the paths containerd and kubelet hard-code, and every process (by pid).
#
# Env for `up`: KCLGUARD_E2E_OWNER_PID: when set, a watchdog runs `down` once that process is
# gone. KCLGUARD_NODE_READY_TIMEOUT: seconds to wait for the node and CoreDNS (default 180).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
self="$here/$(basename "${BASH_SOURCE[0]}")"
marker=".kclguard-node"
log() { printf '[node] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Addresses exist only inside the cluster's own network namespace.
bridge=kclguard0
pod_cidr=10.88.0.0/24
node_ip=10.88.0.1
bridge_mac=0a:58:0a:58:00:01  # 0a:58 + node_ip, as the CNI bridge plugin derives it
service_cidr=10.0.0.0/24  # cluster.sh's --service-cluster-ip-range
cluster_dns=10.0.0.10
node_name=kclguard-node
# Paths containerd 1.6 and kubelet use whatever their configuration says; inside the mount
# namespace each gets a private directory bound over it.
hard_coded_paths=(/run/containerd /var/lib/cni /var/log/pods /var/log/containers)
# Kernel sysctls kubelet sets when protectKernelDefaults is false (it refuses to start when it
# is true and they differ); `down` puts the saved values back.
kubelet_sysctls=(vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops
  kernel.keys.root_maxkeys kernel.keys.root_maxbytes)

require_tool() { command -v "$1" >/dev/null 2>&1 || die "$1 is required ($2); run scripts/image/install-deps.sh"; }

holder_pid() { cat "$1/holder.pid" 2>/dev/null || true; }

# Runs a command in the cluster's namespaces.
in_ns() {
  local dir="$1"
  shift
  # Entering a mount namespace resets the working directory to its root: keep the caller's.
  nsenter --target "$(holder_pid "$dir")" --net --mount --wd="$PWD" -- "$@"
}

# nsenter and setsid exec what they run (no fork: nothing here enters a pid namespace, and a
# background job is no process group leader), so $! is the daemon's own pid. Calling in_ns here
# would record the pid of the subshell running the function instead.
start_daemon() {
  local dir="$1" name="$2"
  shift 2
  nsenter --target "$(holder_pid "$dir")" --net --mount --wd="$PWD" -- setsid "$@" </dev/null >"$dir/logs/$name.log" 2>&1 &
  echo $! >"$dir/pids/$name"
}

# A daemon whose starter has exited is reaped by init, which may take its time: a zombie has
# stopped all the same.
running() {
  local state
  state="$(sed -n 's/^.*) \(.\).*$/\1/p' "/proc/$1/stat" 2>/dev/null)" || return 1
  [[ -n "$state" && "$state" != Z ]]
}

stop_pid() {
  local pid="$1" grace="${2:-10}"
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 $(( grace * 5 ))); do running "$pid" || return 0; sleep 0.2; done
  kill -KILL "$pid" 2>/dev/null || true
  for _ in $(seq 1 25); do running "$pid" || return 0; sleep 0.2; done
}

# Every cgroup v1 hierarchy and the cgroup2 mount, as mount points.
cgroup_mounts() { awk '$9 == "cgroup" || $9 == "cgroup2" { print $5 }' /proc/self/mountinfo | sort -u; }

make_cgroup_root() {
  local name="$1" mount
  while read -r mount; do
    mkdir -p "$mount/$name"
    # A new cpuset cgroup has no CPUs or memory nodes until given its parent's.
    if [[ -f "$mount/cpuset.cpus" ]]; then
      cat "$mount/cpuset.cpus" >"$mount/$name/cpuset.cpus"
      cat "$mount/cpuset.mems" >"$mount/$name/cpuset.mems"
    fi
  done < <(cgroup_mounts)
}

# Kills every process in the cgroup tree (the containers), then removes the tree bottom-up.
remove_cgroup_root() {
  local name="$1" mount pid round
  [[ -n "$name" ]] || return 0
  for round in $(seq 1 50); do
    local left=0
    while read -r mount; do
      [[ -d "$mount/$name" ]] || continue
      while read -r pid; do
        [[ -n "$pid" ]] || continue
        left=1
        kill -KILL "$pid" 2>/dev/null || true
      done < <(find "$mount/$name" -name cgroup.procs -exec cat {} + 2>/dev/null)
    done < <(cgroup_mounts)
    (( left == 0 )) && break
    sleep 0.2
  done
  while read -r mount; do
    [[ -d "$mount/$name" ]] || continue
    find "$mount/$name" -depth -type d -exec rmdir {} + 2>/dev/null || true
    [[ -d "$mount/$name" ]] && log "warning: could not remove cgroup $mount/$name"
  done < <(cgroup_mounts)
  return 0
}

# Processes whose network namespace is the cluster's (stray shims, a killed test's children).
# One find instead of a readlink per process: that loop took seconds on a busy machine.
pids_in_netns() {
  local pattern="${1//\[/\\[}"
  pattern="${pattern//\]/\\]}"
  find /proc -mindepth 3 -maxdepth 3 -path '/proc/[0-9]*/ns/net' -lname "$pattern" 2>/dev/null | cut -d/ -f3
  return 0
}

# containerd's shims outlive containerd; each names the node's containerd socket.
kill_shims() {
  local dir="$1" pid
  for pid in $(grep -lsF -- "$dir/containerd/containerd.sock" /proc/[0-9]*/cmdline | cut -d/ -f3); do
    [[ "$pid" == "$$" || "$pid" == "$BASHPID" ]] || kill -KILL "$pid" 2>/dev/null || true
  done
  return 0
}

write_node_certificates() {
  local dir="$1" pki="$2" server="$3"
  local ext="$dir/pki/kubelet.ext"
  mkdir -p "$dir/pki"
  printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
    "extendedKeyUsage=clientAuth" >"$ext"
  # The Node authorizer and NodeRestriction know a kubelet by this name and group.
  openssl req -newkey rsa:2048 -nodes -keyout "$dir/pki/kubelet.key" -out "$dir/pki/kubelet.csr" \
    -subj "/O=system:nodes/CN=system:node:$node_name" 2>/dev/null
  openssl x509 -req -in "$dir/pki/kubelet.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
    -CAserial "$dir/pki/ca.srl" -out "$dir/pki/kubelet.crt" -days 2 -extfile "$ext" 2>/dev/null
  rm -f "$dir/pki/kubelet.csr" "$ext" "$dir/pki/ca.srl"
  chmod 600 "$dir/pki/kubelet.key"
  cat >"$dir/kubelet.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: kclguard-e2e
  cluster:
    server: $server
    certificate-authority: $pki/ca.crt
users:
- name: kubelet
  user:
    client-certificate: $dir/pki/kubelet.crt
    client-key: $dir/pki/kubelet.key
contexts:
- name: kubelet
  context: {cluster: kclguard-e2e, user: kubelet}
current-context: kubelet
EOF
}

write_configs() {
  local dir="$1" pki="$2" cgroup_root="$3"
  mkdir -p "$dir/cni/net.d" "$dir/cni/ipam" "$dir/containerd" "$dir/kubelet"
  cat >"$dir/containerd/config.toml" <<EOF
version = 2
root = "$dir/containerd/root"
state = "$dir/containerd/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.internal.v1.tracing", "io.containerd.tracing.processor.v1.otlp"]
[grpc]
  address = "$dir/containerd/containerd.sock"
[ttrpc]
  address = "$dir/containerd/containerd.sock.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$dir/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "localhost/kclguard/pause:1"
  # root here lacks CAP_SYS_RESOURCE: runc cannot lower a sandbox's oom_score_adj and fails
  # with "can't get final child's PID from pipe: EOF" unless containerd keeps it at its own.
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  disable_apparmor = true
  stream_server_address = "127.0.0.1"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "$dir/containerd/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$dir/cni/net.d"
EOF
  cat >"$dir/cni/net.d/10-kclguard.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "kclguard",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$bridge",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{"subnet": "$pod_cidr", "gateway": "$node_ip"}]],
        "routes": [{"dst": "0.0.0.0/0"}],
        "dataDir": "$dir/cni/ipam"
      }
    }
  ]
}
EOF
  # No host resolv.conf: Pods resolve only cluster names, through CoreDNS.
  echo "# kclguard e2e node: no upstream DNS" >"$dir/resolv.conf"
  cat >"$dir/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $node_ip
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $pki/ca.crt}
authorization: {mode: Webhook}
containerRuntimeEndpoint: unix://$dir/containerd/containerd.sock
cgroupDriver: cgroupfs
cgroupRoot: /$cgroup_root
failCgroupV1: false
failSwapOn: false
# The node's iptables utility chains are kube-proxy's business; kubelet making its own would
# be one more thing to clean up.
makeIPTablesUtilChains: false
clusterDNS: [$cluster_dns]
clusterDomain: cluster.local
resolvConf: $dir/resolv.conf
podLogsDir: /var/log/pods
serializeImagePulls: false
# Test images are imported, never pulled: keep them however full the disk gets.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: 100Mi, nodefs.available: 1%, imagefs.available: 1%}
maxPods: 60
EOF
  cat >"$dir/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: $dir/admin.kubeconfig}
hostnameOverride: $node_name
bindAddress: $node_ip
clusterCIDR: $pod_cidr
mode: iptables
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
# 0: leave the kernel's conntrack table size alone (it is not per network namespace).
conntrack: {maxPerCore: 0, min: 0}
EOF
}

wait_for() {
  local what="$1" timeout="$2"
  shift 2
  local deadline=$(( $(date +%s) + timeout ))
  until "$@" >/dev/null 2>&1; do
    (( $(date +%s) < deadline )) || { log "timed out after ${timeout}s waiting for $what"; return 1; }
    sleep 1
  done
}

print_env() {
  local dir="$1"
  [[ -f "$dir/$marker" ]] || die "$dir is not a node directory made by this script"
  cat "$dir/control-plane.env"
  printf 'export KUBECONFIG=%q\n' "$dir/admin.kubeconfig"
  printf 'export KCLGUARD_NODE_DIR=%q\n' "$dir"
  printf 'export KCLGUARD_NODE_CONTAINERD=%q\n' "$dir/containerd/containerd.sock"
}

cmd_up() {
  local images=""
  while (( $# > 0 )); do
    case "$1" in
      --images) images="$2"; shift 2 ;;
      *) die "unknown flag $1" ;;
    esac
  done
  [[ -n "$images" && -s "$images" ]] || die "up needs --images TARBALL (scripts/image/build.sh prints it)"
  [[ "$(id -u)" == 0 ]] || die "a node needs root (containerd, runc, network namespaces, cgroups)"
  require_tool unshare "to create the cluster's namespaces"
  require_tool nsenter "to run daemons in them"
  require_tool ip "to configure the namespace's bridge"
  require_tool iptables "for kube-proxy"
  require_tool containerd "to run the Pods"
  require_tool runc "to run the Pods"
  require_tool ctr "to import the images"
  require_tool openssl "for the kubelet's certificate"
  [[ -x /usr/lib/cni/bridge && -x /usr/lib/cni/host-local ]] ||
    die "the CNI plugins are missing in /usr/lib/cni (Debian's containernetworking-plugins)"
  local node_bin started
  started=$(date +%s)
  "$here/build.sh" >/dev/null
  node_bin="$("$here/build-node.sh")"

  local dir
  dir="$(mktemp -d "${TMPDIR:-/tmp}/kclguard-node.XXXXXX")"
  touch "$dir/$marker"
  mkdir -p "$dir/logs" "$dir/pids" "$dir/bind"
  up_dir="$dir"
  trap '[[ -n "$up_dir" ]] && { log "start-up failed; logs were in $up_dir/logs"; cmd_down "$up_dir" >/dev/null 2>&1; }' EXIT

  # The namespaces, held by one process.
  setsid unshare --net --mount --propagation private sleep infinity </dev/null >/dev/null 2>&1 &
  echo $! >"$dir/holder.pid"
  # Evaluated on every try: the holder has its namespaces only once unshare has run.
  holder_unshared() { [[ "$(readlink "/proc/$(holder_pid "$dir")/ns/net")" != "$(readlink "/proc/$$/ns/net")" ]]; }
  wait_for "the namespace holder" 30 holder_unshared
  readlink "/proc/$(holder_pid "$dir")/ns/net" >"$dir/netns"
  in_ns "$dir" ip link set lo up
  # A bridge without an address of its own takes the lowest MAC of its ports and changes it as
  # Pods come and go. A Pod still holding the old gateway MAC (one that is shutting down) then
  # sends frames the bridge no longer takes for the node: its last FIN never reaches the API
  # server, whose pooled webhook connection is left half open, and the next review written on
  # it times out. An explicit address never changes; the CNI bridge plugin derives the same one
  # from the gateway IP (0a:58 + the address) when it creates a bridge, not for one it adopts.
  in_ns "$dir" ip link add "$bridge" address "$bridge_mac" type bridge
  in_ns "$dir" ip addr add "$node_ip/${pod_cidr#*/}" dev "$bridge"
  in_ns "$dir" ip link set "$bridge" up
  # Service addresses exist only as kube-proxy's DNAT rules, which apply after routing: the
  # API server (calling a webhook's Service) needs a route for them to get that far.
  in_ns "$dir" ip route add "$service_cidr" dev "$bridge" src "$node_ip"
  # Per network namespace: routing between Pods and Services, and bridged traffic through
  # iptables so a Pod reaching a Service backed by a Pod on the same bridge gets its reply.
  in_ns "$dir" sh -c 'echo 1 >/proc/sys/net/ipv4/ip_forward; echo 1 >/proc/sys/net/bridge/bridge-nf-call-iptables'
  local path
  for path in "${hard_coded_paths[@]}"; do
    if [[ ! -e "$path" ]]; then mkdir -p "$path" && echo "$path" >>"$dir/created-dirs"; fi
    mkdir -p "$dir/bind$path"
    in_ns "$dir" mount --bind "$dir/bind$path" "$path"
  done
  local sysctl
  for sysctl in "${kubelet_sysctls[@]}"; do echo "$sysctl=$(sysctl -n "$sysctl")"; done >"$dir/sysctl.saved"

  log "starting the control plane in the cluster's network namespace"
  KCLGUARD_E2E_ADVERTISE_ADDRESS="$node_ip" KCLGUARD_E2E_OWNER_PID="" \
    in_ns "$dir" "$here/cluster.sh" up >"$dir/control-plane.env" 2>"$dir/logs/control-plane-up.log" || {
    cat "$dir/logs/control-plane-up.log" >&2; die "the control plane did not start"; }
  local cp_dir
  cp_dir="$(sed -n 's/^export KCLGUARD_E2E_DIR=//p' "$dir/control-plane.env")"
  echo "$cp_dir" >"$dir/control-plane.dir"
  local pki="$cp_dir/pki" server
  server="$(cat "$cp_dir/server-url")"
  cp "$cp_dir/kubeconfig" "$dir/admin.kubeconfig"

  local cgroup_root="kclguard-node-${dir##*.}"
  echo "$cgroup_root" >"$dir/cgroup-root"
  make_cgroup_root "$cgroup_root"
  write_node_certificates "$dir" "$pki" "$server"
  write_configs "$dir" "$pki" "$cgroup_root"

  log "starting containerd and importing the images"
  start_daemon "$dir" containerd containerd --config "$dir/containerd/config.toml" --log-level warn
  wait_for "containerd" 30 ctr --address "$dir/containerd/containerd.sock" version
  ctr --address "$dir/containerd/containerd.sock" -n k8s.io images import "$images" >"$dir/logs/images-import.log" 2>&1 ||
    { cat "$dir/logs/images-import.log" >&2; die "importing $images failed"; }

  log "starting kubelet, kube-proxy, kube-scheduler, kube-controller-manager"
  start_daemon "$dir" kubelet "$node_bin/kubelet" --config "$dir/kubelet.yaml" \
    --kubeconfig "$dir/kubelet.kubeconfig" --root-dir "$dir/kubelet" --cert-dir "$dir/kubelet/pki" \
    --hostname-override "$node_name" --node-ip "$node_ip" --v=1
  start_daemon "$dir" kube-proxy "$node_bin/kube-proxy" --config "$dir/kube-proxy.yaml" --v=1
  start_daemon "$dir" kube-scheduler "$node_bin/kube-scheduler" --kubeconfig "$dir/admin.kubeconfig" \
    --leader-elect=false --secure-port=0 --v=1
  start_daemon "$dir" kube-controller-manager "$node_bin/kube-controller-manager" \
    --kubeconfig "$dir/admin.kubeconfig" --leader-elect=false --secure-port=0 \
    --service-account-private-key-file="$pki/sa.key" --root-ca-file="$pki/ca.crt" \
    --use-service-account-credentials=true --cluster-name=kclguard-e2e --v=1

  if [[ -n "${KCLGUARD_E2E_OWNER_PID:-}" ]]; then
    setsid bash -c 'while kill -0 "$1" 2>/dev/null && [[ -d "$3" ]]; do sleep 2; done
                    [[ -d "$3" ]] && KCLGUARD_NODE_FROM_WATCHDOG=1 "$2" down "$3"' \
      watchdog "$KCLGUARD_E2E_OWNER_PID" "$self" "$dir" </dev/null >/dev/null 2>&1 &
    echo $! >"$dir/watchdog.pid"
  fi

  local timeout="${KCLGUARD_NODE_READY_TIMEOUT:-180}"
  local kubectl
  kubectl="$(command -v kubectl || true)"
  [[ -n "$kubectl" ]] || kubectl="$("$here/../helm-tools.sh")/kubectl"
  export KUBECONFIG="$dir/admin.kubeconfig"
  wait_for "the node to register" "$timeout" in_ns "$dir" "$kubectl" get node "$node_name" ||
    { tail -n 30 "$dir/logs/kubelet.log" >&2; die "the node did not register"; }
  in_ns "$dir" "$kubectl" wait --for=condition=Ready "node/$node_name" --timeout="${timeout}s" >/dev/null ||
    { tail -n 30 "$dir/logs/kubelet.log" >&2; die "the node did not become Ready"; }
  log "node Ready; starting CoreDNS"
  local coredns_image
  coredns_image="$(ctr --address "$dir/containerd/containerd.sock" -n k8s.io images ls -q | grep '^localhost/kclguard/coredns:' | head -n 1)"
  sed -e "s#@COREDNS_IMAGE@#$coredns_image#" -e "s#@CLUSTER_DNS@#$cluster_dns#" "$here/node/coredns.yaml" |
    in_ns "$dir" "$kubectl" apply -f - >/dev/null
  in_ns "$dir" "$kubectl" -n kube-system rollout status deployment/coredns --timeout="${timeout}s" >/dev/null ||
    { in_ns "$dir" "$kubectl" -n kube-system get pods -o wide >&2 || true; die "CoreDNS did not become ready"; }
  # CoreDNS's veth is a port of the bridge now: a bridge following its ports would have its MAC.
  local bridge_link
  bridge_link="$(in_ns "$dir" ip -o link show "$bridge")"
  [[ "$bridge_link" == *"link/ether $bridge_mac "* ]] ||
    die "the bridge $bridge no longer has its own address $bridge_mac (see the comment where it is created)"
  up_dir=""
  log "ready in $(( $(date +%s) - started ))s: node $node_name, API server $server (dir $dir)"
  print_env "$dir"
}

cmd_exec() {
  local dir="${KCLGUARD_NODE_DIR:-}"
  [[ -n "$dir" && -f "$dir/$marker" ]] || die "exec needs KCLGUARD_NODE_DIR of a running node"
  (( $# > 0 )) || die "exec needs a command"
  in_ns "$dir" "$@"
}

cmd_down() {
  local dir="${1:-${KCLGUARD_NODE_DIR:-}}"
  [[ -n "$dir" ]] || die "down needs the node directory (argument or KCLGUARD_NODE_DIR)"
  [[ -d "$dir" ]] || { log "$dir is already gone"; return 0; }
  [[ -f "$dir/$marker" ]] || die "$dir is not a node directory made by this script"
  if [[ -z "${KCLGUARD_NODE_FROM_WATCHDOG:-}" && -f "$dir/watchdog.pid" ]]; then
    stop_pid "$(cat "$dir/watchdog.pid")" 2
  fi
  local name
  # kubelet first, so it does not restart what is being stopped.
  for name in kubelet kube-controller-manager kube-scheduler kube-proxy; do
    [[ -f "$dir/pids/$name" ]] && stop_pid "$(cat "$dir/pids/$name")" 10
  done
  # The containers: every process in the cgroup root; then the shims, then containerd.
  [[ -f "$dir/cgroup-root" ]] && remove_cgroup_root "$(cat "$dir/cgroup-root")"
  local pid
  [[ -f "$dir/pids/containerd" ]] && stop_pid "$(cat "$dir/pids/containerd")" 10
  # After containerd: it starts shims of its own while it runs (also to clean up killed ones).
  kill_shims "$dir"
  if [[ -f "$dir/control-plane.dir" && -n "$(holder_pid "$dir")" ]] && kill -0 "$(holder_pid "$dir")" 2>/dev/null; then
    in_ns "$dir" "$here/cluster.sh" down "$(cat "$dir/control-plane.dir")" >/dev/null 2>&1 || true
  fi
  # Anything else still in the namespace (a killed test's processes), then the holder: with
  # the last process gone the kernel frees the namespaces and everything mounted or routed in them.
  if [[ -f "$dir/netns" ]]; then
    for pid in $(pids_in_netns "$(cat "$dir/netns")"); do
      [[ "$pid" == "$(holder_pid "$dir")" ]] || stop_pid "$pid" 5
    done
  fi
  [[ -n "$(holder_pid "$dir")" ]] && stop_pid "$(holder_pid "$dir")" 2
  # Whatever still holds the namespace now (a process started while the above ran) goes too.
  kill_shims "$dir"
  if [[ -f "$dir/netns" ]]; then
    for pid in $(pids_in_netns "$(cat "$dir/netns")"); do kill -KILL "$pid" 2>/dev/null || true; done
  fi
  # A control plane whose namespace could not be entered any more: its own down stops it by pid.
  if [[ -f "$dir/control-plane.dir" && -d "$(cat "$dir/control-plane.dir")" ]]; then
    "$here/cluster.sh" down "$(cat "$dir/control-plane.dir")" >/dev/null 2>&1 || true
  fi
  [[ -f "$dir/cgroup-root" ]] && remove_cgroup_root "$(cat "$dir/cgroup-root")"
  if [[ -f "$dir/sysctl.saved" ]]; then
    local line
    while read -r line; do sysctl -q -w "$line" >/dev/null 2>&1 || log "warning: could not restore $line"; done <"$dir/sysctl.saved"
  fi
  if [[ -f "$dir/created-dirs" ]]; then
    while read -r path; do rmdir "$path" 2>/dev/null || log "warning: $path is not empty; left in place"; done <"$dir/created-dirs"
  fi
  # Nothing was mounted outside the mount namespace; this only guards against a future mistake.
  if awk -v d="$dir" 'index($5, d "/") == 1 { found = 1 } END { exit !found }' /proc/self/mountinfo; then
    log "warning: mounts below $dir remain in the host's mount namespace"
  fi
  rm -rf "$dir"
  log "stopped and removed $dir"
}

up_dir=""
case "${1:-}" in
  up) shift; cmd_up "$@" ;;
  exec) shift; cmd_exec "$@" ;;
  env) print_env "${2:-${KCLGUARD_NODE_DIR:-}}" ;;
  down) cmd_down "${2:-}" ;;
  *)
    echo "usage: $0 up --images TARBALL | exec CMD [ARG...] | env [DIR] | down [DIR]" >&2
    exit 2
    ;;
esac
