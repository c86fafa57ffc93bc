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
