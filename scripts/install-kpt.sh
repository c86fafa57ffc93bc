#!/usr/bin/env bash
# Installs kpt (the KRM package tool that test/e2e/kpt.e2e.test.ts drives `kclguard fn` with) from the
# Go module proxy, pinned, into a per-user cache keyed by its version, like the control plane
# (scripts/control-plane/build.sh). The first build takes a few minutes; later runs only check.
#
#   scripts/install-kpt.sh            # build if needed; stdout: the kpt binary's path
#   scripts/install-kpt.sh --check    # build nothing; stdout: the path if installed, else exit 1
#
# stdout carries only the path; progress goes to stderr.
# The cache root: scripts/lib/tools-cache.sh (KCLGUARD_TOOLS_CACHE, else ~/.cache/kclguard, else
# a per-user directory under $TMPDIR).
set -euo pipefail
# shellcheck source=lib/tools-cache.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/tools-cache.sh"

# The last release under the old module path: the proxy does not serve the rollouts module that
# github.com/kptdev/kpt v1.0.0-beta.61 requires. No replace directives, so `go install
# module@version` builds it as released.
readonly KPT_MODULE="github.com/GoogleContainerTools/kpt"
readonly KPT_VERSION="v1.0.0-beta.57"

log() { printf '[install-kpt] %s\n' "$*" >&2; }

bin_dir="$(tools_cache_root)/kpt/$KPT_VERSION"
kpt="$bin_dir/kpt"

if [[ -x "$kpt" ]]; then
  printf '%s\n' "$kpt"
  exit 0
fi
if [[ "${1:-}" == "--check" ]]; then
  log "kpt $KPT_VERSION is not installed in $bin_dir; run scripts/install-kpt.sh"
  exit 1
fi
if ! command -v go >/dev/null 2>&1; then
  log "Go is required to build kpt from the Go module proxy; it was not found on PATH."
  exit 2
fi

mkdir -p "$bin_dir"
# Built under a scratch name and renamed at the end, so an interrupted build never leaves
# something the check above would take for a finished one.
staging="$(mktemp -d "$bin_dir/.build.XXXXXX")"
trap 'rm -rf "$staging"' EXIT

started=$(date +%s)
log "building kpt $KPT_VERSION with $(go version | cut -d' ' -f3) ..."
CGO_ENABLED=0 GOFLAGS="-trimpath -buildvcs=false" GOBIN="$staging" \
  go install -ldflags "-s -w -X $KPT_MODULE/run.version=$KPT_VERSION" "$KPT_MODULE@$KPT_VERSION"
mv -f "$staging/kpt" "$kpt"
log "built in $(( $(date +%s) - started ))s: $kpt"
printf '%s\n' "$kpt"
