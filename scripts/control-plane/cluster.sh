#!/usr/bin/env bash
# A throwaway Kubernetes control plane (etcd + kube-apiserver, no controller-manager, no
# scheduler, no nodes) on 127.0.0.1 for e2e tests.
#
#   cluster.sh up           build if needed, start, wait for /readyz, print `export` lines
#   cluster.sh env [DIR]    print the `export` lines of a running control plane
#   cluster.sh restart-apiserver [DIR]   stop kube-apiserver and start it again with the same
#                           flags (etcd keeps the data), wait for /readyz
#   cluster.sh down [DIR]   stop it and delete its directory (DIR defaults to $KCLGUARD_E2E_DIR)
#
# Typical shell use:  eval "$(scripts/control-plane/cluster.sh up)"; ...; scripts/control-plane/cluster.sh down
#
# Env for `up`:
#   KCLGUARD_E2E_OWNER_PID  when set, a watchdog tears the control plane down once that process
#                           is gone, so a killed test runner does not leave servers behind.
#   KCLGUARD_E2E_READY_TIMEOUT  seconds to wait for /readyz (default 120).
#   KCLGUARD_E2E_ADVERTISE_ADDRESS  an address of this network namespace for kube-apiserver to
#                           listen on and advertise instead of 127.0.0.1, so that Pods can reach
#                           it (scripts/control-plane/node.sh sets it to its bridge's address,
#                           inside a network namespace of its own; never the machine's uplink).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
self="$here/$(basename "${BASH_SOURCE[0]}")"
marker=".kclguard-control-plane"
log() { printf '[control-plane] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

require_tool() {
  command -v "$1" >/dev/null 2>&1 || die "$1 is required ($2) but was not found on PATH"
}

# Ports are picked by binding port 0 and releasing it; the small window before etcd and
# kube-apiserver bind them is acceptable for a test machine, and a lost race fails loudly.
free_ports() {
  node -e '
    const net = require("node:net");
    const count = Number(process.argv[1]);
    const servers = [];
    const next = () => {
      if (servers.length === count) {
        console.log(servers.map((s) => s.address().port).join(" "));
        servers.forEach((s) => s.close());
        return;
      }
      const s = net.createServer();
      s.listen(0, process.argv[2], () => { servers.push(s); next(); });
    };
    next();' "$1" "${2:-127.0.0.1}"
}

generate_certificates() {
  local dir="$1" advertise="$2"
  local pki="$dir/pki"
  mkdir -p "$pki"
  (
    cd "$pki"
    openssl_quiet() { openssl "$@" 2>/dev/null; }
    openssl_quiet req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 \
      -subj "/CN=kclguard-e2e-ca" -addext "basicConstraints=critical,CA:TRUE" \
      -addext "keyUsage=critical,keyCertSign,cRLSign"

    # name, subject, extendedKeyUsage, subjectAltName (empty for client-only certificates),
    # key (openssl -newkey: rsa:2048 unless given)
    issue() {
      local name="$1" subject="$2" usage="$3" san="$4" key="${5:-rsa:2048}"
      local ext="$name.ext" key_usage="digitalSignature,keyEncipherment" key_options=()
      if [[ "$key" == ec ]]; then key_usage="digitalSignature" key_options=(-pkeyopt ec_paramgen_curve:P-256); fi
      {
        echo "basicConstraints=critical,CA:FALSE"
        echo "keyUsage=critical,$key_usage"
        echo "extendedKeyUsage=$usage"
        if [[ -n "$san" ]]; then echo "subjectAltName=$san"; fi
      } >"$ext"
      openssl_quiet req -newkey "$key" "${key_options[@]}" -nodes -keyout "$name.key" -out "$name.csr" -subj "$subject"
      openssl_quiet x509 -req -in "$name.csr" -CA ca.crt -CAkey ca.key -CAcreateserial \
        -out "$name.crt" -days 2 -extfile "$ext"
      rm -f "$name.csr" "$ext"
    }
    local loopback="IP:127.0.0.1,DNS:localhost" extra_san=""
    if [[ "$advertise" != 127.0.0.1 ]]; then extra_san=",IP:$advertise"; fi
    # etcd dials its own client port (gRPC gateway) with the serving certificate, so it is both.
    issue etcd-server "/CN=etcd" serverAuth,clientAuth "$loopback"
    issue etcd-client "/CN=kube-apiserver-etcd-client" clientAuth ""
    issue apiserver "/CN=kube-apiserver" serverAuth \
      "$loopback$extra_san,IP:10.0.0.1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
    # system:masters is the group RBAC always allows; it stands for the cluster admin.
    issue admin "/O=system:masters/CN=kclguard-e2e-admin" clientAuth ""
    # kube-apiserver's identity towards kubelets (kubectl logs/exec on a real node).
    issue kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" clientAuth ""
    # A serving certificate for a webhook (kclguard, or a test's own server) on 127.0.0.1;
    # its caBundle is ca.crt. ECDSA P-256, like the chart's (cheaper TLS handshakes).
    issue webhook "/CN=kclguard-e2e-webhook" serverAuth "$loopback" ec
    rm -f ca.srl
    openssl_quiet genrsa -out sa.key 2048
    openssl_quiet rsa -in sa.key -pubout -out sa.pub
  ) || die "certificate generation with openssl failed"
  chmod 600 "$pki"/*.key
}

write_kubeconfig() {
  local dir="$1" server="$2" pki="$1/pki"
  cat >"$dir/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: kclguard-e2e
  cluster:
    server: $server
    certificate-authority-data: $(base64 -w0 <"$pki/ca.crt")
users:
- name: kclguard-e2e-admin
  user:
    client-certificate-data: $(base64 -w0 <"$pki/admin.crt")
    client-key-data: $(base64 -w0 <"$pki/admin.key")
contexts:
- name: kclguard-e2e
  context:
    cluster: kclguard-e2e
    user: kclguard-e2e-admin
current-context: kclguard-e2e
EOF
  chmod 600 "$dir/kubeconfig"
}

# Starts a command in its own session (so its whole process group can be signalled) with no
# terminal and no inherited stdout, which would keep a caller that reads our output waiting.
start_daemon() {
  local dir="$1" name="$2"
  shift 2
  setsid "$@" </dev/null >"$dir/$name.log" 2>&1 &
  echo $! >"$dir/$name.pid"
}

start_apiserver() {
  local dir="$1" args
  mapfile -d '' -t args <"$dir/kube-apiserver.args"
  start_daemon "$dir" kube-apiserver "${args[@]}"
}

cmd_restart_apiserver() {
  local dir="${1:-${KCLGUARD_E2E_DIR:-}}" started
  [[ -f "$dir/$marker" ]] || die "$dir is not a control-plane directory made by this script"
  started=$(date +%s)
  stop_group "$dir/kube-apiserver.pid"
  mv -f "$dir/kube-apiserver.log" "$dir/kube-apiserver.previous.log"
  start_apiserver "$dir"
  wait_ready "$dir" "$(cat "$dir/server-url")" "${KCLGUARD_E2E_READY_TIMEOUT:-120}" ||
    die "kube-apiserver did not become ready after the restart"
  log "kube-apiserver restarted in $(( $(date +%s) - started ))s"
}

print_env() {
  local dir="$1"
  [[ -f "$dir/$marker" ]] || die "$dir is not a control-plane directory made by this script"
  printf 'export KCLGUARD_E2E_DIR=%q\n' "$dir"
  printf 'export KUBECONFIG=%q\n' "$dir/kubeconfig"
  printf 'export KCLGUARD_E2E_API_SERVER=%q\n' "$(cat "$dir/server-url")"
  printf 'export KCLGUARD_E2E_CA_CERT=%q\n' "$dir/pki/ca.crt"
  printf 'export KCLGUARD_E2E_WEBHOOK_CERT=%q\n' "$dir/pki/webhook.crt"
  printf 'export KCLGUARD_E2E_WEBHOOK_KEY=%q\n' "$dir/pki/webhook.key"
}

wait_ready() {
  local dir="$1" url="$2" timeout="$3" pki="$1/pki" deadline
  deadline=$(( $(date +%s) + timeout ))
  while true; do
    for name in etcd kube-apiserver; do
      if ! kill -0 "$(cat "$dir/$name.pid")" 2>/dev/null; then
        log "$name exited during start-up; last lines of its log:"
        tail -n 25 "$dir/$name.log" >&2 || true
        return 1
      fi
    done
    if curl --silent --fail --max-time 5 --cacert "$pki/ca.crt" --cert "$pki/admin.crt" \
      --key "$pki/admin.key" "$url/readyz" >/dev/null 2>&1; then
      return 0
    fi
    if (( $(date +%s) > deadline )); then
      log "kube-apiserver not ready after ${timeout}s; last lines of its log:"
      tail -n 25 "$dir/kube-apiserver.log" >&2 || true
      return 1
    fi
    sleep 0.5
  done
}

cmd_up() {
  require_tool openssl "to generate the control plane's certificates"
  require_tool curl "to wait for the API server's /readyz"
  require_tool node "to pick free loopback ports"
  require_tool setsid "to run each server in its own process group"

  local bin_dir dir
  bin_dir="$("$here/build.sh")"
  dir="$(mktemp -d "${TMPDIR:-/tmp}/kclguard-e2e.XXXXXX")"
  touch "$dir/$marker"
  # Anything failing from here on must not leave a half-started control plane behind.
  up_dir="$dir"
  trap '[[ -n "$up_dir" ]] && cmd_down "$up_dir" >/dev/null 2>&1' EXIT

  local advertise="${KCLGUARD_E2E_ADVERTISE_ADDRESS:-127.0.0.1}"
  generate_certificates "$dir" "$advertise"
  local etcd_port etcd_peer_port api_port
  read -r etcd_port etcd_peer_port api_port <<<"$(free_ports 3 "$advertise")"
  local server="https://$advertise:$api_port" pki="$dir/pki"
  echo "$server" >"$dir/server-url"
  write_kubeconfig "$dir" "$server"

  # --unsafe-no-fsync: the data is thrown away after the run, and fsync dominates on CI disks.
  start_daemon "$dir" etcd "$bin_dir/etcd" \
    --name=e2e --data-dir="$dir/etcd-data" \
    --listen-client-urls="https://127.0.0.1:$etcd_port" \
    --advertise-client-urls="https://127.0.0.1:$etcd_port" \
    --listen-peer-urls="http://127.0.0.1:$etcd_peer_port" \
    --initial-advertise-peer-urls="http://127.0.0.1:$etcd_peer_port" \
    --initial-cluster="e2e=http://127.0.0.1:$etcd_peer_port" \
    --cert-file="$pki/etcd-server.crt" --key-file="$pki/etcd-server.key" \
    --client-cert-auth --trusted-ca-file="$pki/ca.crt" \
    --unsafe-no-fsync --log-level=warn

  # MutatingAdmissionWebhook and ValidatingAdmissionWebhook are on by default; they are named
  # here because the e2e tests depend on them. NodeRestriction goes with the Node authorizer.
  # The flags are kept in a file so that `restart-apiserver` starts the same server again.
  printf '%s\0' "$bin_dir/kube-apiserver" \
    --bind-address="$advertise" --advertise-address="$advertise" --secure-port="$api_port" \
    --etcd-servers="https://127.0.0.1:$etcd_port" \
    --etcd-cafile="$pki/ca.crt" --etcd-certfile="$pki/etcd-client.crt" --etcd-keyfile="$pki/etcd-client.key" \
    --tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" \
    --client-ca-file="$pki/ca.crt" \
    --kubelet-client-certificate="$pki/kubelet-client.crt" --kubelet-client-key="$pki/kubelet-client.key" \
    --kubelet-preferred-address-types=InternalIP \
    --authorization-mode=Node,RBAC \
    --enable-admission-plugins=NodeRestriction,MutatingAdmissionWebhook,ValidatingAdmissionWebhook \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$pki/sa.pub" \
    --service-account-signing-key-file="$pki/sa.key" \
    --service-cluster-ip-range=10.0.0.0/24 \
    --allow-privileged=true --profiling=false --v=1 >"$dir/kube-apiserver.args"
  start_apiserver "$dir"

  if [[ -n "${KCLGUARD_E2E_OWNER_PID:-}" ]]; then
    local owner="$KCLGUARD_E2E_OWNER_PID"
    setsid bash -c 'while kill -0 "$1" 2>/dev/null && [[ -d "$3" ]]; do sleep 2; done
                    [[ -d "$3" ]] && KCLGUARD_E2E_FROM_WATCHDOG=1 "$2" down "$3"' \
      watchdog "$owner" "$self" "$dir" </dev/null >/dev/null 2>&1 &
    echo $! >"$dir/watchdog.pid"
  fi

  local started
  started=$(date +%s)
  wait_ready "$dir" "$server" "${KCLGUARD_E2E_READY_TIMEOUT:-120}" ||
    die "the control plane did not become ready"
  up_dir=""
  log "ready in $(( $(date +%s) - started ))s: kube-apiserver $server (dir $dir)"
  print_env "$dir"
}

# Sends TERM to a process group, then KILL if it has not gone within the grace period.
stop_group() {
  local pid_file="$1" pid
  [[ -f "$pid_file" ]] || return 0
  pid="$(cat "$pid_file")"
  kill -TERM -- "-$pid" 2>/dev/null || return 0
  for _ in $(seq 1 50); do
    kill -0 -- "-$pid" 2>/dev/null || return 0
    sleep 0.2
  done
  kill -KILL -- "-$pid" 2>/dev/null || true
  for _ in $(seq 1 25); do
    kill -0 -- "-$pid" 2>/dev/null || return 0
    sleep 0.2
  done
}

cmd_down() {
  local dir="${1:-${KCLGUARD_E2E_DIR:-}}"
  [[ -n "$dir" ]] || die "down needs the control plane directory (argument or KCLGUARD_E2E_DIR)"
  [[ -d "$dir" ]] || { log "$dir is already gone"; return 0; }
  # The marker keeps a mistyped argument from deleting an unrelated directory.
  [[ -f "$dir/$marker" ]] || die "$dir is not a control-plane directory made by this script"
  if [[ -z "${KCLGUARD_E2E_FROM_WATCHDOG:-}" ]]; then stop_group "$dir/watchdog.pid"; fi
  # The API server first, so it does not log a burst of etcd connection errors on the way out.
  stop_group "$dir/kube-apiserver.pid"
  stop_group "$dir/etcd.pid"
  rm -rf "$dir"
  log "stopped and removed $dir"
}

up_dir=""
case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down "${2:-}" ;;
  restart-apiserver) cmd_restart_apiserver "${2:-}" ;;
  env) print_env "${2:-${KCLGUARD_E2E_DIR:-}}" ;;
  *)
    echo "usage: $0 up | env [DIR] | restart-apiserver [DIR] | down [DIR]" >&2
    exit 2
    ;;
esac
