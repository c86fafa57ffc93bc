# Sourced by the scripts that install tools for the tests (helm-tools.sh, install-kpt.sh).
# tools_cache_root prints where tools are cached: $KCLGUARD_TOOLS_CACHE, else
# ${XDG_CACHE_HOME:-$HOME/.cache}/kclguard, else -- when that cannot be written (a read-only or
# missing home on a CI runner) -- a per-user directory under $TMPDIR, so the tests still run.
tools_cache_root() {
  local root="${KCLGUARD_TOOLS_CACHE:-${XDG_CACHE_HOME:-${HOME:-/nonexistent}/.cache}/kclguard}"
  if mkdir -p "$root" 2>/dev/null && [ -w "$root" ]; then
    printf '%s\n' "$root"
    return
  fi
  root="${TMPDIR:-/tmp}/kclguard-tools-$(id -u)"
  mkdir -p "$root"
  printf '%s\n' "$root"
}
