#!/usr/bin/env bash
# Builds what a real node of the e2e cluster runs beside the control plane of build.sh:
# kubelet, kube-proxy, kube-scheduler and kube-controller-manager from the pinned tool module
# in ./tools/node (the same k8s.io/kubernetes release and replace block as kube-apiserver), and
# CoreDNS (Service DNS, which `helm test` needs) with `go install`, into a per-user cache keyed
# by both versions.
#
# stdout: the bin directory (the only line written there); progress and timing go to stderr.
# Env: KCLGUARD_NODE_REBUILD=1 forces a rebuild even when the cache is complete.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
log() { printf '[node build] %s\n' "$*" >&2; }

# Pinned here; bump together with docs/e2e.md.
coredns_version=v1.14.7

if ! command -v go >/dev/null 2>&1; then
  log "Go is required to build the node components (any Go >= 1.26); it was not found on PATH."
  exit 2
fi

# A node of another release than its API server would be a skew nobody tests: refuse it.
replace_block() { sed -n '/^replace (/,/^)/p' "$here/tools/$1/go.mod"; }
module_version() { (cd "$here/tools/$1" && GOFLAGS=-mod=readonly go list -m -f '{{.Version}}' "$2"); }
kube_version="$(module_version node k8s.io/kubernetes)"
if [[ "$kube_version" != "$(module_version kube-apiserver k8s.io/kubernetes)" ||
      "$(replace_block node)" != "$(replace_block kube-apiserver)" ]]; then
  log "tools/node/go.mod and tools/kube-apiserver/go.mod must require the same k8s.io/kubernetes"
  log "version with the same replace block; bump both together."
  exit 2
fi

bin_dir="${XDG_CACHE_HOME:-$HOME/.cache}/kclguard/node/${kube_version}-coredns-${coredns_version}/bin"
binaries=(kubelet kube-proxy kube-scheduler kube-controller-manager coredns)
complete() {
  local name
  for name in "${binaries[@]}"; do [[ -x "$bin_dir/$name" ]] || return 1; done
}
if [[ "${KCLGUARD_NODE_REBUILD:-}" != 1 ]] && complete; then
  log "cached: node components $kube_version, CoreDNS $coredns_version in $bin_dir"
  printf '%s\n' "$bin_dir"
  exit 0
fi

mkdir -p "$bin_dir"
# Built under a scratch name and renamed at the end, so an interrupted build never leaves
# something the cache check above would take for a finished one.
staging="$(mktemp -d "$bin_dir/.build.XXXXXX")"
trap 'rm -rf "$staging"' EXIT

export CGO_ENABLED=0
# shellcheck source=kube-ldflags.sh
source "$here/kube-ldflags.sh"

started=$(date +%s)
log "building kubelet, kube-proxy, kube-scheduler, kube-controller-manager $kube_version with $(go version | cut -d' ' -f3)"
# One `go build` of all four shares the compilation of their common packages.
(cd "$here/tools/node" && GOFLAGS="-trimpath -buildvcs=false -mod=readonly" \
  go build -ldflags "$(kube_ldflags "$kube_version")" -o "$staging/" \
  k8s.io/kubernetes/cmd/kubelet k8s.io/kubernetes/cmd/kube-proxy \
  k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kube-controller-manager)
log "built the Kubernetes node components in $(( $(date +%s) - started ))s"

coredns_started=$(date +%s)
log "building CoreDNS $coredns_version"
GOBIN="$staging" GOFLAGS="-trimpath -buildvcs=false" \
  go install -ldflags "-s -w" "github.com/coredns/coredns@$coredns_version"
log "built CoreDNS in $(( $(date +%s) - coredns_started ))s"

for name in "${binaries[@]}"; do mv -f "$staging/$name" "$bin_dir/$name"; done
log "done in $(( $(date +%s) - started ))s: $bin_dir"
printf '%s\n' "$bin_dir"
