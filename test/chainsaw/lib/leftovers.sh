#!/bin/sh
# Prints every object of the release that is still there (by the chart's instance label, in
# every namespace and cluster-wide), plus anything at all left in the release namespace except
# what Kubernetes itself puts there (the kube-root-ca.crt ConfigMap, the default
# ServiceAccount, Events). Prints nothing when the uninstall was clean.
set -eu
kinds=deployments,replicasets,pods,services,endpointslices,secrets,configmaps,serviceaccounts,roles,rolebindings,leases,poddisruptionbudgets
cluster_kinds=clusterroles,clusterrolebindings,mutatingwebhookconfigurations,validatingwebhookconfigurations
kubectl get "$kinds" --all-namespaces -l app.kubernetes.io/instance=kclguard -o name
kubectl get "$cluster_kinds" -l app.kubernetes.io/instance=kclguard -o name
kubectl get mutatingwebhookconfigurations,validatingwebhookconfigurations,clusterroles,clusterrolebindings -o name | grep 'kclguard' || true
if kubectl get namespace kclguard >/dev/null 2>&1; then
  kubectl get "$kinds" --namespace kclguard -o name |
    grep -v -x -e 'configmap/kube-root-ca.crt' -e 'serviceaccount/default' || true
fi
