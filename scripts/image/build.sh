#!/usr/bin/env bash
# Builds the images the real-cluster e2e suite runs, and saves them in one tarball for
# `ctr images import` (scripts/control-plane/node.sh up --images TARBALL):
#
#   kclguard/kclguard:<package.json version>   the project's Dockerfile, exactly as committed
#                                              (legacy builder, --network host), on the local
#                                              stand-in base of build-base.sh
#   localhost/kclguard/pause:1                 the sandbox image: pause/pause.c, static, FROM scratch
#   localhost/kclguard/coredns:<version>       CoreDNS from build-node.sh, FROM scratch
#
# Uses $DOCKER_HOST when set, else starts a private daemon (dockerd.sh) and stops it at the end.
# stdout: the tarball's path; progress goes to stderr. Images built on the stand-in base carry
# this machine's CA bundle: for local tests only, never push them.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
log() { printf '[image build] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
docker_cli() { if [[ -x /usr/bin/docker ]]; then /usr/bin/docker "$@"; else docker "$@"; fi; }

started=$(date +%s)
own_daemon=""
work="$(mktemp -d "${TMPDIR:-/tmp}/kclguard-images.XXXXXX")"
cleanup() {
  rm -rf "$work"
  if [[ -n "$own_daemon" ]]; then "$here/dockerd.sh" down "$own_daemon" >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT
if [[ -z "${DOCKER_HOST:-}" ]]; then
  eval "$("$here/dockerd.sh" up)"
  own_daemon="$KCLGUARD_DOCKERD_DIR"
fi

version="$(node -p 'require(process.argv[1]).version' "$repo/package.json")"
commit="$(git -C "$repo" rev-parse HEAD 2>/dev/null || echo unknown)"
if [[ "$commit" != unknown && -n "$(git -C "$repo" status --porcelain --untracked-files=no 2>/dev/null)" ]]; then
  commit="$commit-dirty"
fi
coredns_bin="$("$here/../control-plane/build-node.sh")/coredns"
coredns_version="$("$coredns_bin" -version | sed -n 's/^CoreDNS-\([0-9.]*\).*/v\1/p')"

kclguard_image="kclguard/kclguard:$version"
pause_image="localhost/kclguard/pause:1"
coredns_image="localhost/kclguard/coredns:$coredns_version"

base_tarball="$("$here/build-base.sh")"
base_tag="$(sed -n 's/^FROM[[:space:]]\{1,\}\(node:[^[:space:]]*\).*/\1/p' "$repo/Dockerfile" | head -n 1)"
if ! docker_cli image inspect "$base_tag" >/dev/null 2>&1; then
  log "loading the stand-in base $base_tag"
  docker_cli load -q -i "$base_tarball" >&2
fi

log "building $kclguard_image (build $commit) from the Dockerfile"
# The legacy builder: the Dockerfile as committed, with the host network for npm ci; BuildKit's
# --network host needs an entitlement the private daemon does not grant.
DOCKER_BUILDKIT=0 docker_cli build -q --network host \
  --build-arg "KCLGUARD_VERSION=$version" --build-arg "KCLGUARD_BUILD_COMMIT=$commit" \
  -t "$kclguard_image" -f "$repo/Dockerfile" "$repo" >&2
label="$(docker_cli image inspect -f '{{ index .Config.Labels "org.opencontainers.image.version" }}' "$kclguard_image")"
[[ "$label" == "$version" ]] || die "the image's version label is '$label', package.json says '$version'"

log "building $pause_image and $coredns_image"
mkdir -p "$work/pause" "$work/coredns"
gcc -static -Os -Wall -o "$work/pause/pause" "$here/pause/pause.c"
strip "$work/pause/pause"
cp "$here/pause/Dockerfile" "$work/pause/Dockerfile"
DOCKER_BUILDKIT=0 docker_cli build -q -t "$pause_image" "$work/pause" >&2
install -m 0755 "$coredns_bin" "$work/coredns/coredns"
cat >"$work/coredns/Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY coredns /coredns
USER 65532:65532
ENTRYPOINT ["/coredns"]
DOCKERFILE
DOCKER_BUILDKIT=0 docker_cli build -q -t "$coredns_image" "$work/coredns" >&2

out_dir="${XDG_CACHE_HOME:-$HOME/.cache}/kclguard/image"
out="$out_dir/e2e-images.tar"
mkdir -p "$out_dir"
docker_cli save -o "$out.partial" "$kclguard_image" "$pause_image" "$coredns_image"
mv -f "$out.partial" "$out"
# Keep the daemon's data (the layer cache) from growing with every build.
docker_cli image prune -f >/dev/null 2>&1 || true
log "done in $(( $(date +%s) - started ))s: $kclguard_image, $pause_image, $coredns_image in $out"
printf '%s\n' "$out"
