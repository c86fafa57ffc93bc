#!/usr/bin/env bash
# Builds the tests' OCI tools from the pinned tool modules in ./tools, into a per-user cache
# keyed by their versions (like scripts/control-plane/build.sh):
#   crane  (github.com/google/go-containerregistry)  `crane registry serve`: a real registry
#   oras   (oras.land/oras)                          pushes artifacts with chosen media types
#
# stdout: the bin directory (the only line written there); progress goes to stderr.
# Env: KCLGUARD_OCI_TOOLS_REBUILD=1 forces a rebuild even when the cache is complete.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
log() { printf '[oci-registry build] %s\n' "$*" >&2; }
# shellcheck source=../lib/go-tools.sh
source "$here/../lib/go-tools.sh"
require_go "crane and oras"

crane_version="$(module_version "$here/tools/crane" github.com/google/go-containerregistry)"
oras_version="$(module_version "$here/tools/oras" oras.land/oras)"

cache_root="${XDG_CACHE_HOME:-$HOME/.cache}/kclguard/oci-registry"
bin_dir="$cache_root/crane-${crane_version}-oras-${oras_version}/bin"

if [[ "${KCLGUARD_OCI_TOOLS_REBUILD:-}" != 1 && -x "$bin_dir/crane" && -x "$bin_dir/oras" ]]; then
  log "cached: crane $crane_version, oras $oras_version in $bin_dir"
  printf '%s\n' "$bin_dir"
  exit 0
fi

begin_staging "$bin_dir"

export CGO_ENABLED=0
export GOFLAGS="-trimpath -buildvcs=false -mod=readonly"

build() {
  local name="$1" package="$2" started
  started=$(date +%s)
  log "building $name ($package) ..."
  (cd "$here/tools/$name" && go build -ldflags "-s -w" -o "$staging/$name" "$package")
  log "built $name in $(( $(date +%s) - started ))s"
}

build crane github.com/google/go-containerregistry/cmd/crane
build oras oras.land/oras/cmd/oras

mv -f "$staging/crane" "$bin_dir/crane"
mv -f "$staging/oras" "$bin_dir/oras"
log "done: $bin_dir"
printf '%s\n' "$bin_dir"
