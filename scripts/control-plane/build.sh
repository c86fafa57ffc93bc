#!/usr/bin/env bash
# Builds kube-apiserver and etcd for the e2e control plane from the pinned tool modules in
# ./tools, into a per-user cache keyed by both versions, so that the long first build happens
# once per machine and version bump.
#
# stdout: the bin directory (the only line written there); progress and timing go to stderr.
# Env: KCLGUARD_CONTROL_PLANE_REBUILD=1 forces a rebuild even when the cache is complete.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
log() { printf '[control-plane build] %s\n' "$*" >&2; }
# shellcheck source=../lib/go-tools.sh
source "$here/../lib/go-tools.sh"
require_go "kube-apiserver and etcd"

# The versions come from the tool modules so that go.mod stays the single place to bump them.
kube_version="$(module_version "$here/tools/kube-apiserver" k8s.io/kubernetes)"
etcd_version="$(module_version "$here/tools/etcd" go.etcd.io/etcd/server/v3)"

cache_root="${XDG_CACHE_HOME:-$HOME/.cache}/kclguard/control-plane"
bin_dir="$cache_root/${kube_version}-${etcd_version}/bin"

if [[ "${KCLGUARD_CONTROL_PLANE_REBUILD:-}" != 1 && -x "$bin_dir/kube-apiserver" && -x "$bin_dir/etcd" ]]; then
  log "cached: kube-apiserver $kube_version, etcd $etcd_version in $bin_dir"
  printf '%s\n' "$bin_dir"
  exit 0
fi

begin_staging "$bin_dir"

export CGO_ENABLED=0
export GOFLAGS="-trimpath -buildvcs=false -mod=readonly"

# shellcheck source=kube-ldflags.sh
source "$here/kube-ldflags.sh"
kube_ldflags="$(kube_ldflags "$kube_version")"

timed_build() {
  local name="$1" dir="$2" package="$3" ldflags="$4" started elapsed
  started=$(date +%s)
  log "building $name (package $package) ..."
  (cd "$here/tools/$dir" && go build -ldflags "$ldflags" -o "$staging/$name" "$package")
  elapsed=$(( $(date +%s) - started ))
  log "built $name in ${elapsed}s"
}

total_started=$(date +%s)
log "building kube-apiserver $kube_version and etcd $etcd_version with $(go version | cut -d' ' -f3) (the first kube-apiserver build takes a long while)"
timed_build etcd etcd go.etcd.io/etcd/server/v3 "-s -w"
timed_build kube-apiserver kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver "$kube_ldflags"

mv -f "$staging/etcd" "$bin_dir/etcd"
mv -f "$staging/kube-apiserver" "$bin_dir/kube-apiserver"
log "done in $(( $(date +%s) - total_started ))s: $bin_dir"
printf '%s\n' "$bin_dir"
