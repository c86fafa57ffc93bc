#!/bin/sh
# Removes what install.sh made, whatever state a failed test left: first the webhook
# configurations (a kclguard that is gone must not block the uninstall, nor every later test's
# writes, with failurePolicy Fail: the operations.md emergency order), then the release, then the
# namespace (kept by helm uninstall: helm did not create it as part of the release).
set -u
kubectl delete mutatingwebhookconfiguration,validatingwebhookconfiguration kclguard --ignore-not-found
if helm status kclguard --namespace kclguard >/dev/null 2>&1; then
  helm uninstall kclguard --namespace kclguard --wait --timeout 3m
fi
kubectl delete namespace kclguard --ignore-not-found --wait --timeout=3m
