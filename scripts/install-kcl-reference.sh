#!/usr/bin/env bash
# Installs the reference KCL implementation (PyPI kcl-lib, which embeds the official Rust
# evaluator) into a private venv, so conformance goldens come from the real thing and never from
# our own evaluator. Idempotent: a second run only verifies the install. Prints the venv's python.
#
#   scripts/install-kcl-reference.sh            # -> .../kclguard/kcl-reference/0.13.2/bin/python
#   KCL_REFERENCE_PYTHON=/path/to/python3 ...   # choose the interpreter that creates the venv
set -euo pipefail

readonly KCL_LIB_VERSION="0.13.2"
readonly CACHE_ROOT="${XDG_CACHE_HOME:-$HOME/.cache}/kclguard/kcl-reference"
readonly VENV_DIR="$CACHE_ROOT/$KCL_LIB_VERSION"
readonly VENV_PYTHON="$VENV_DIR/bin/python"

log() { echo "install-kcl-reference: $*" >&2; }

installed_version() {
  "$VENV_PYTHON" -c 'import importlib.metadata as m; print(m.version("kcl-lib"))' 2>/dev/null || true
}

if [[ -x "$VENV_PYTHON" && "$(installed_version)" == "$KCL_LIB_VERSION" ]]; then
  log "kcl-lib $KCL_LIB_VERSION already installed in $VENV_DIR"
  echo "$VENV_PYTHON"
  exit 0
fi

base_python="${KCL_REFERENCE_PYTHON:-}"
if [[ -z "$base_python" ]]; then
  for candidate in python3 python; do
    if command -v "$candidate" >/dev/null 2>&1; then base_python="$candidate"; break; fi
  done
fi
if [[ -z "$base_python" ]]; then
  log "no python3 found; install Python 3.8+ (with the venv module) or set KCL_REFERENCE_PYTHON"
  exit 1
fi

mkdir -p "$CACHE_ROOT"
# A half-created venv from an interrupted run would make `pip` fail in confusing ways.
if [[ -d "$VENV_DIR" && ! -x "$VENV_PYTHON" ]]; then
  rm -rf "$VENV_DIR"
fi
if [[ ! -x "$VENV_PYTHON" ]]; then
  log "creating venv with $base_python in $VENV_DIR"
  "$base_python" -m venv "$VENV_DIR"
fi

log "installing kcl-lib==$KCL_LIB_VERSION"
"$VENV_PYTHON" -m pip install --quiet --disable-pip-version-check "kcl-lib==$KCL_LIB_VERSION"

if [[ "$(installed_version)" != "$KCL_LIB_VERSION" ]]; then
  log "kcl-lib $KCL_LIB_VERSION did not install correctly"
  exit 1
fi
"$VENV_PYTHON" -c 'import kcl_lib.api' >/dev/null
log "kcl-lib $KCL_LIB_VERSION ready"
echo "$VENV_PYTHON"
