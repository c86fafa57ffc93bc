#!/usr/bin/env bash
# The real-cluster suite (`npm run e2e:cluster`): build what is missing (Debian packages, the
# control plane, the node components, Chainsaw, the images), bring up a real node in namespaces
# of its own (scripts/control-plane/node.sh), run the Chainsaw scenarios of test/chainsaw and the
# fault suite (faults.mjs), and take everything down again, also when a step fails.
#
# Ends with one line `real-cluster: N passed, N failed` (Chainsaw tests + fault scenarios) and
# exits non-zero when anything failed. Env: KCLGUARD_CLUSTER_KEEP=1 leaves the cluster running
# for debugging (prints how to use and stop it); CHAINSAW_ARGS adds flags to `chainsaw test`
# (e.g. "--include-test-regex chainsaw/helm": Go's -test.run, one pattern per level of the test
# name chainsaw/<test>); FAULTS_ARGS adds flags to faults.mjs (e.g. "--only kill-9-one-replica").
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
log() { printf '[real-cluster] %s\n' "$*" >&2; }
suite_started=$(date +%s)
timings=()
phase() {
  local name="$1" started
  shift
  started=$(date +%s)
  log "$name ..."
  "$@"
  timings+=("$name: $(( $(date +%s) - started ))s")
}

phase "Debian packages" scripts/image/install-deps.sh
phase "control plane build" scripts/control-plane/build.sh >/dev/null
phase "node build" scripts/control-plane/build-node.sh >/dev/null
chainsaw_dir=""
helm_dir=""
tools() { chainsaw_dir="$(scripts/chainsaw-tool.sh)"; helm_dir="$(scripts/helm-tools.sh)"; }
phase "chainsaw and helm" tools
export PATH="$chainsaw_dir:$helm_dir:$PATH"
images=""
build_images() { images="$(scripts/image/build.sh)"; }
phase "images" build_images

node_env="$(mktemp "${TMPDIR:-/tmp}/kclguard-real-cluster-env.XXXXXX")"
results="$(mktemp -d "${TMPDIR:-/tmp}/kclguard-real-cluster-results.XXXXXX")"
node_dir=""
finish() {
  local code=$?
  if [[ -n "$node_dir" ]]; then
    if [[ "${KCLGUARD_CLUSTER_KEEP:-}" == 1 ]]; then
      log "cluster kept: export KCLGUARD_NODE_DIR=$node_dir KUBECONFIG=$node_dir/admin.kubeconfig;" \
        "scripts/control-plane/node.sh exec kubectl get pods -A; stop it with scripts/control-plane/node.sh down $node_dir"
    else
      scripts/control-plane/node.sh down "$node_dir" || true
    fi
  fi
  rm -f "$node_env"
  rm -rf "$results"
  exit "$code"
}
trap finish EXIT
up() {
  # The watchdog takes the cluster down if this script is killed before its trap can.
  if [[ "${KCLGUARD_CLUSTER_KEEP:-}" == 1 ]]; then
    scripts/control-plane/node.sh up --images "$images" >"$node_env"
  else
    KCLGUARD_E2E_OWNER_PID=$$ scripts/control-plane/node.sh up --images "$images" >"$node_env"
  fi
}
phase "node up" up
# shellcheck disable=SC1090
source "$node_env"
node_dir="$KCLGUARD_NODE_DIR"

passed=0
failed=0
chainsaw_tests() {
  local code=0
  # shellcheck disable=SC2086
  scripts/control-plane/node.sh exec chainsaw test --config test/chainsaw/.chainsaw.yaml --test-dir test/chainsaw \
    --report-format JSON --report-path "$results" --report-name chainsaw ${CHAINSAW_ARGS:-} 2>&1 |
    tee "$results/chainsaw.log" || code=$?
  local counts
  counts="$(node test/real-cluster/lib/chainsaw-report.mjs counts "$results/chainsaw.json" 2>/dev/null || echo "0 1")"
  passed=$(( passed + ${counts% *} ))
  failed=$(( failed + ${counts#* } ))
  if (( code != 0 && ${counts#* } == 0 )); then failed=$(( failed + 1 )); fi
  return 0
}
phase "chainsaw scenarios" chainsaw_tests

fault_suite() {
  # shellcheck disable=SC2086
  scripts/control-plane/node.sh exec node test/real-cluster/faults.mjs --json "$results/faults.json" ${FAULTS_ARGS:-} || true
  local counts
  counts="$(node -e '
    const { results } = require(process.argv[1]);
    const met = results.filter((r) => r.met).length;
    console.log(`${met} ${results.length - met}`);' "$results/faults.json" 2>/dev/null || echo "0 1")"
  passed=$(( passed + ${counts% *} ))
  failed=$(( failed + ${counts#* } ))
}
phase "fault suite" fault_suite

# CI keeps only the tail of the output: repeat each failed Chainsaw operation and its error there.
chainsaw_failures="$(node test/real-cluster/lib/chainsaw-report.mjs failures "$results/chainsaw.log" 2>/dev/null || true)"
if [[ -n "$chainsaw_failures" ]]; then
  log "failed Chainsaw operations (repeated from the output above):"
  printf '%s\n' "$chainsaw_failures" >&2
fi
log "timings: ${timings[*]}; total $(( $(date +%s) - suite_started ))s"
echo "real-cluster: $passed passed, $failed failed"
(( failed == 0 ))
