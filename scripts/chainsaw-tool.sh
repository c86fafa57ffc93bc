#!/usr/bin/env bash
# Installs Chainsaw (the declarative Kubernetes e2e tool: kyverno/chainsaw), pinned, from the Go
# module proxy into a cache keyed by its version, and prints the directory that holds it.
# Usage: PATH="$(scripts/chainsaw-tool.sh):$PATH"
set -euo pipefail
version=v0.2.12
# chainsaw v0.2.12 implements the internals of `testing.MainStart` as of its Go release; a Go
# that added methods to them (1.26 here) fails to compile it, so it is built with this Go
# toolchain, fetched through the module proxy like any module (GOTOOLCHAIN).
toolchain=go1.24.13
dest="${XDG_CACHE_HOME:-$HOME/.cache}/kclguard/chainsaw/$version/bin"
if [[ ! -x "$dest/chainsaw" ]]; then
  command -v go >/dev/null || { echo "chainsaw-tool: Go is required to install chainsaw" >&2; exit 2; }
  started=$(date +%s)
  echo "[chainsaw] installing github.com/kyverno/chainsaw@$version (a few minutes the first time)" >&2
  staging="$(mktemp -d "${TMPDIR:-/tmp}/kclguard-chainsaw.XXXXXX")"
  trap 'rm -rf "$staging"' EXIT
  GOTOOLCHAIN="$toolchain" CGO_ENABLED=0 GOBIN="$staging" GOFLAGS="-trimpath -buildvcs=false" \
    go install -ldflags "-s -w" "github.com/kyverno/chainsaw@$version" >&2
  mkdir -p "$dest"
  mv -f "$staging/chainsaw" "$dest/chainsaw"
  echo "[chainsaw] installed in $(( $(date +%s) - started ))s" >&2
fi
echo "$dest"
