# Shared by the scripts that build Go tools from pinned tool modules (scripts/control-plane,
# scripts/oci-registry). Source it after defining log().

# Exits 2 with a message naming what needed Go when there is no Go on PATH.
require_go() {
  if ! command -v go >/dev/null 2>&1; then
    log "Go is required to build $1 (any Go >= 1.26); it was not found on PATH."
    exit 2
  fi
}

# The version of module $2 required by the tool module in directory $1 (go.mod is the one place to bump it).
module_version() { (cd "$1" && GOFLAGS=-mod=readonly go list -m -f '{{.Version}}' "$2"); }

# Creates the cache directory $1 and a scratch directory inside it, in $staging, removed on exit.
# Binaries are built there and renamed into $1 at the end, so an interrupted build never leaves
# something that a cache check would take for a finished one.
begin_staging() {
  mkdir -p "$1"
  staging="$(mktemp -d "$1/.build.XXXXXX")"
  trap 'rm -rf "$staging"' EXIT
}
