#!/bin/sh
# helm install of the repository's chart as a cluster admin would: release "kclguard" in
# namespace "kclguard", the image scripts/image/build.sh built (the chart's default repository
# and appVersion tag, already on the node), --wait for every replica to be Ready. Extra
# arguments go to helm (e.g. --set webhook.selfRegister=true).
set -eu
chart="$(cd "$(dirname "$0")/../../../charts/kclguard" && pwd)"
helm install kclguard "$chart" --namespace kclguard --create-namespace --wait --timeout 4m "$@"
