#!/usr/bin/env bash
# Builds the benchmarks' peers from the pinned tool modules in ./tools, each into a per-user
# cache keyed by its version (like scripts/control-plane/build.sh), so a build happens once per
# machine and version bump:
#   opa      (github.com/open-policy-agent/opa)    the OPA peer of `npm run bench` and bench:e2e
#   kyverno  (github.com/kyverno/kyverno/cmd/kyverno)  the Kyverno peer of bench:e2e (about 5
#            minutes and 250 MB the first time)
#
#   build.sh opa|kyverno     stdout: the path of the binary (the only line written there)
#
# Env: KCLGUARD_BENCH_TOOLS_REBUILD=1 forces a rebuild even when the binary is cached.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
log() { printf '[bench-tools build] %s\n' "$*" >&2; }
# shellcheck source=../lib/go-tools.sh
source "$here/../lib/go-tools.sh"

tool="${1:-}"
case "$tool" in
  opa) module=github.com/open-policy-agent/opa; package=github.com/open-policy-agent/opa ;;
  kyverno) module=github.com/kyverno/kyverno; package=github.com/kyverno/kyverno/cmd/kyverno ;;
  *) echo "usage: $0 opa|kyverno" >&2; exit 2 ;;
esac
require_go "$tool"

version="$(module_version "$here/tools/$tool" "$module")"
bin_dir="${XDG_CACHE_HOME:-$HOME/.cache}/kclguard/bench-tools/$tool-$version/bin"

if [[ "${KCLGUARD_BENCH_TOOLS_REBUILD:-}" != 1 && -x "$bin_dir/$tool" ]]; then
  log "cached: $tool $version in $bin_dir"
  printf '%s\n' "$bin_dir/$tool"
  exit 0
fi

begin_staging "$bin_dir"

export CGO_ENABLED=0
export GOFLAGS="-trimpath -buildvcs=false -mod=readonly"
started=$(date +%s)
log "building $tool $version ($package) with $(go version | cut -d' ' -f3) ..."
(cd "$here/tools/$tool" && go build -ldflags "-s -w" -o "$staging/$tool" "$package")
mv -f "$staging/$tool" "$bin_dir/$tool"
log "built $tool in $(( $(date +%s) - started ))s: $bin_dir/$tool"
printf '%s\n' "$bin_dir/$tool"
