#!/usr/bin/env bash
# A private Docker daemon for building images, started so that it changes nothing on the host:
# its own data, exec root, socket and config; no bridge, no iptables rules, no IP forwarding or
# masquerading (builds use --network host).
#
#   dockerd.sh up       start it, wait for it, print `export DOCKER_HOST=... KCLGUARD_DOCKERD_DIR=...`
#   dockerd.sh down [DIR]   stop it by its pid, unmount what it mounted, remove its run directory
#
# Images and build cache persist in ${XDG_CACHE_HOME:-$HOME/.cache}/kclguard/docker so that a
# second build reuses layers (KCLGUARD_DOCKER_DATA overrides). Needs Debian's docker.io
# (dockerd, containerd, runc); scripts/image/install-deps.sh installs it.
set -euo pipefail

log() { printf '[dockerd] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
marker=".kclguard-dockerd"
data_root="${KCLGUARD_DOCKER_DATA:-${XDG_CACHE_HOME:-$HOME/.cache}/kclguard/docker}"

# Unmounts everything at or below a directory, deepest first.
unmount_below() {
  local dir="$1" target
  while read -r target; do
    umount -l "$target" 2>/dev/null || true
  done < <(awk -v d="$dir" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r)
}

stop_pid() {
  local pid_file="$1" pid
  [[ -f "$pid_file" ]] || return 0
  pid="$(cat "$pid_file")"
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 75); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.2; done
  kill -KILL "$pid" 2>/dev/null || true
}

cmd_down() {
  local dir="${1:-${KCLGUARD_DOCKERD_DIR:-}}"
  [[ -n "$dir" ]] || die "down needs the daemon's directory (argument or KCLGUARD_DOCKERD_DIR)"
  [[ -d "$dir" ]] || return 0
  [[ -f "$dir/$marker" ]] || die "$dir was not made by this script"
  # dockerd stops the containerd it started; a containerd left behind by a killed dockerd is
  # stopped by its own pid file.
  stop_pid "$dir/dockerd.pid"
  stop_pid "$dir/dockerd.started-pid"
  stop_pid "$dir/exec/containerd/containerd.pid"
  unmount_below "$dir"
  unmount_below "$data_root"
  rm -rf "$dir"
  log "stopped and removed $dir"
}

cmd_up() {
  command -v dockerd >/dev/null || die "dockerd not found: run scripts/image/install-deps.sh"
  local dir
  mkdir -p "$data_root"
  dir="$(mktemp -d "${TMPDIR:-/tmp}/kclguard-dockerd.XXXXXX")"
  touch "$dir/$marker"
  up_dir="$dir"
  trap '[[ -n "$up_dir" ]] && cmd_down "$up_dir" >/dev/null 2>&1' EXIT
  echo '{}' >"$dir/daemon.json"
  setsid dockerd --config-file "$dir/daemon.json" \
    --data-root "$data_root" --exec-root "$dir/exec" --pidfile "$dir/dockerd.pid" \
    --host "unix://$dir/docker.sock" \
    --bridge=none --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false \
    --userland-proxy=false --log-level=warn \
    </dev/null >"$dir/dockerd.log" 2>&1 &
  echo $! >"$dir/dockerd.started-pid"
  local pid=$! deadline=$(( $(date +%s) + 60 ))
  until docker_cli -H "unix://$dir/docker.sock" version >/dev/null 2>&1; do
    if ! kill -0 "$pid" 2>/dev/null || (( $(date +%s) > deadline )); then
      tail -n 20 "$dir/dockerd.log" >&2 || true
      die "dockerd did not start (log above)"
    fi
    sleep 0.5
  done
  up_dir=""
  printf 'export KCLGUARD_DOCKERD_DIR=%q\n' "$dir"
  printf 'export DOCKER_HOST=%q\n' "unix://$dir/docker.sock"
}

# Debian's client matches Debian's daemon; another docker on PATH may be a newer client that
# defaults to BuildKit.
docker_cli() { if [[ -x /usr/bin/docker ]]; then /usr/bin/docker "$@"; else docker "$@"; fi; }

up_dir=""
case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down "${2:-}" ;;
  *) echo "usage: $0 up | down [DIR]" >&2; exit 2 ;;
esac
