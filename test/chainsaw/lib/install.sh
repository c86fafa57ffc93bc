#!/bin/sh
# helm install of the repository's chart as a cluster admin would: release "kclguard" in
# namespace "kclguard", the image scripts/image/build.sh built (the chart's default repository
# and appVersion tag, already on the node), --wait for every replica to be Ready. Extra
# arguments go to helm (e.g. --set webhook.selfRegister=true).
set -eu
chart="$(cd "$(dirname "$0")/../../../charts/kclguard" && pwd)"
helm install kclguard "$chart" --namespace kclguard --create-namespace --wait --timeout 4m "$@"

# --wait returns once the Pods are Ready; kube-proxy programs the Service a moment later, and
# until it has, the API server's webhook calls are refused ("connect: connection refused": a
# CI run's next write failed so, with failurePolicy Fail). Wait until the Service answers, as
# the API server reaches it: through its cluster IP, from this network namespace.
ip="$(kubectl -n kclguard get service kclguard -o jsonpath='{.spec.clusterIP}')"
for _ in $(seq 60); do
  if curl -sk --max-time 2 "https://$ip/readyz" >/dev/null 2>&1; then exit 0; fi
  sleep 0.5
done
echo "the kclguard Service did not answer at $ip within 30 s of the install" >&2
exit 1
