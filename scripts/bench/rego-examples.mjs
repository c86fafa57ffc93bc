/**
 * The OPA peer of `npm run bench`: the ten example policies of the bench in Rego v1, served by
 * `opa run --server` over TLS as webhook decisions (`POST /v0/data/kclguard/<phase>/main` takes
 * the AdmissionReview as input and returns the AdmissionReview answer). Each copy of a policy is
 * its own package, as each KCLRun copy is its own policy.
 *
 * One patch per request, as kclguard answers: kclguard chains its mutations and diffs the final
 * object once, so five copies of a mutation change the object once. The Rego side therefore
 * gathers the distinct operations of all packages (a set) into one patch, instead of
 * concatenating one operation per copy.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PSS_REGO as PSS_CONTROLS, REGO_POD_SPEC, pssRegoPackage } from './pss-rego.mjs';

/** Five mutations and five validations, alternating; each also has a Rego twin below. */
export const BENCH_POLICIES = [
  'add-created-by',
  'allowed-image-repos',
  'add-default-resources',
  'disallow-host-namespaces',
  'add-network-policy-labels',
  'disallow-latest-tag',
  'add-safe-to-evict',
  'disallow-privileged',
  'append-env',
  'horizontal-pod-auto-scaler',
];


export const REGO_POLICIES = {
  'add-created-by': {
    phase: 'mutate',
    kinds: ['Deployment', 'StatefulSet', 'ConfigMap', 'Secret', 'Service'],
    operations: ['CREATE'],
    body: `
user := object.get(input.request, ["userInfo", "username"], "unknown")
sa_prefix := "system:serviceaccount:"
patch contains {"op": "add", "path": "/metadata/annotations/kclguard.dev~1created-by", "value": user} if selected
patch contains {"op": "add", "path": "/metadata/annotations/kclguard.dev~1created-by-service-account", "value": concat("/", split(trim_prefix(user, sa_prefix), ":"))} if {
  selected
  startswith(user, sa_prefix)
}`,
  },
  'allowed-image-repos': {
    phase: 'validate',
    kinds: ['Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'Job'],
    operations: ['CREATE', 'UPDATE'],
    body: `
repositories := ["registry.example.com/", "ghcr.io/example-org/"]
allowed(image) if startswith(image, repositories[_])
denied_images := [c.image | some c in containers; not allowed(c.image)]
deny contains sprintf("images %v are not from an allowed repository (%s)", [denied_images, concat(", ", repositories)]) if {
  selected
  count(denied_images) > 0
}`,
  },
  'add-default-resources': {
    phase: 'mutate',
    kinds: ['Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'],
    operations: ['CREATE'],
    body: `
default_requests := {"cpu": "100m", "memory": "128Mi"}
default_limits := {"memory": "256Mi"}
patch contains op if {
  selected
  some field in ["containers", "initContainers"]
  some i, c in object.get(pod_spec, field, [])
  resources := object.get(c, "resources", {})
  requests := object.get(resources, "requests", {})
  limits := object.get(resources, "limits", {})
  add_requests := {k: v | some k, v in default_requests; not requests[k]}
  add_limits := {k: v | some k, v in default_limits; not limits[k]}
  count(add_requests) + count(add_limits) > 0
  new := object.union(resources, {"requests": object.union(requests, add_requests), "limits": object.union(limits, add_limits)})
  op := {"op": "add", "path": sprintf("%s/%s/%d/resources", [pod_path, field, i]), "value": new}
}`,
  },
  'disallow-host-namespaces': {
    phase: 'validate',
    kinds: ['Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'Job'],
    operations: ['CREATE', 'UPDATE'],
    body: `
shared := [f | some f in ["hostNetwork", "hostPID", "hostIPC"]; pod_spec[f] == true]
host_ports := [sprintf("%s:%v", [c.name, p.hostPort]) | some c in object.get(pod_spec, "containers", []); some p in object.get(c, "ports", []); p.hostPort]
deny contains sprintf("%s %s must not set %s", [input.request.object.kind, input.request.object.metadata.name, concat(" or ", shared)]) if {
  selected
  count(shared) > 0
}
deny contains sprintf("%s %s must not use hostPort (%s)", [input.request.object.kind, input.request.object.metadata.name, concat(", ", host_ports)]) if {
  selected
  count(host_ports) > 0
}`,
  },
  'add-network-policy-labels': {
    phase: 'mutate',
    kinds: ['Pod', 'Deployment', 'StatefulSet'],
    operations: ['CREATE', 'UPDATE'],
    body: `
zone_label := "network.example.com/zone"
zones := {"frontend": "dmz", "database": "restricted"}
labels := object.get(input.request.object, ["metadata", "labels"], {})
zone := object.get(zones, object.get(labels, "app.kubernetes.io/component", ""), "internal")
patch contains {"op": "add", "path": "/metadata/labels/network.example.com~1zone", "value": zone} if {
  selected
  not labels[zone_label]
}
patch contains {"op": "add", "path": "/metadata/labels/network.example.com~1namespace", "value": input.request.namespace} if selected`,
  },
  'disallow-latest-tag': {
    phase: 'validate',
    kinds: ['Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'],
    operations: ['CREATE', 'UPDATE'],
    body: `
tag(image) := t if {
  parts := split(image, "/")
  name := parts[count(parts) - 1]
  contains(name, ":")
  segments := split(name, ":")
  t := segments[count(segments) - 1]
} else := ""
pinned(image) if contains(image, "@")
pinned(image) if not tag(image) in {"", "latest"}
unpinned := [sprintf("%s (%s)", [c.name, c.image]) | some c in containers; not pinned(c.image)]
deny contains sprintf("%s %s: images must use a tag other than latest: %s", [input.request.object.kind, input.request.object.metadata.name, concat(", ", unpinned)]) if {
  selected
  count(unpinned) > 0
}`,
  },
  'add-safe-to-evict': {
    phase: 'mutate',
    kinds: ['Pod'],
    operations: ['CREATE'],
    body: `
annotation := "cluster-autoscaler.kubernetes.io/safe-to-evict"
local_storage if {
  some v in object.get(input.request.object, ["spec", "volumes"], [])
  v.emptyDir
}
local_storage if {
  some v in object.get(input.request.object, ["spec", "volumes"], [])
  v.hostPath
}
patch contains {"op": "add", "path": "/metadata/annotations/cluster-autoscaler.kubernetes.io~1safe-to-evict", "value": "true"} if {
  selected
  not object.get(input.request.object, ["metadata", "annotations", annotation], false)
  local_storage
}`,
  },
  'disallow-privileged': {
    phase: 'validate',
    kinds: ['Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'],
    operations: ['CREATE', 'UPDATE'],
    body: `
violations := array.concat(
  [sprintf("%s is privileged", [c.name]) | some c in containers; object.get(c, ["securityContext", "privileged"], false) == true],
  [sprintf("%s allows privilege escalation", [c.name]) | some c in containers; object.get(c, ["securityContext", "allowPrivilegeEscalation"], false) == true]
)
deny contains sprintf("%s %s: %s", [input.request.object.kind, input.request.object.metadata.name, concat(", ", violations)]) if {
  selected
  count(violations) > 0
}`,
  },
  'append-env': {
    phase: 'mutate',
    kinds: ['Pod', 'Deployment', 'StatefulSet', 'DaemonSet'],
    operations: ['CREATE', 'UPDATE'],
    body: `
env := [{"name": "OTEL_EXPORTER_OTLP_ENDPOINT", "value": "http://otel-collector.observability:4317"}, {"name": "CLUSTER_NAME", "value": "prod-eu-1"}]
patch contains op if {
  selected
  some field in ["containers", "initContainers"]
  some i, c in object.get(pod_spec, field, [])
  existing := object.get(c, "env", [])
  defined := {e.name | some e in existing}
  missing := [e | some e in env; not e.name in defined]
  count(missing) > 0
  op := {"op": "add", "path": sprintf("%s/%s/%d/env", [pod_path, field, i]), "value": array.concat(existing, missing)}
}`,
  },
  'horizontal-pod-auto-scaler': {
    phase: 'validate',
    kinds: ['HorizontalPodAutoscaler'],
    operations: ['CREATE', 'UPDATE'],
    body: `
spec := input.request.object.spec
min_replicas := object.get(spec, "minReplicas", 1)
deny contains sprintf("minReplicas (%v) must be between 1 and maxReplicas (%v)", [min_replicas, spec.maxReplicas]) if {
  selected
  not min_replicas <= spec.maxReplicas
}
deny contains sprintf("maxReplicas %v exceeds the ceiling of 50", [spec.maxReplicas]) if {
  selected
  spec.maxReplicas > 50
}
deny contains sprintf("only Deployments and StatefulSets may be autoscaled, not %s", [spec.scaleTargetRef.kind]) if {
  selected
  not spec.scaleTargetRef.kind in {"Deployment", "StatefulSet"}
}`,
  },
};

function regoPackage(pkg, name, def, namespace) {
  return `package kclguard.policies.${pkg}

import rego.v1

# ${name} (${def.phase}), as the KCLRun in policies/${name}/policy.yaml
selected if {
  input.request.namespace == "${namespace}"
  input.request.kind.kind in ${JSON.stringify(def.kinds)}
  input.request.operation in ${JSON.stringify(def.operations)}
}
${REGO_POD_SPEC}${def.body}
`;
}

const REGO_MAIN = `package kclguard.mutate

import rego.v1

# The distinct operations of all policies: copies of a policy change the object once.
patches := [op | some op in {op | some op in data.kclguard.policies[_].patch}]

response := {"uid": input.request.uid, "allowed": true, "patchType": "JSONPatch", "patch": base64.encode(json.marshal(patches))} if {
  count(patches) > 0
} else := {"uid": input.request.uid, "allowed": true}

main := {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "response": response}
`;

const REGO_VALIDATE = `package kclguard.validate

import rego.v1

denials := sort([msg | some msg in data.kclguard.policies[_].deny])

response := {"uid": input.request.uid, "allowed": false, "status": {"code": 403, "message": concat("; ", denials)}} if {
  count(denials) > 0
} else := {"uid": input.request.uid, "allowed": true}

main := {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "response": response}
`;


/**
 * Writes the Rego of one scenario into `dir`: the decision documents and `count` example
 * packages (cycling through the ten examples, the copies renamed apart), or the Pod Security
 * Standards pack (`pss: true`), selected in `namespace`.
 */
export function writeRego(dir, { count = 0, pss = false, namespace, root }) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'mutate.rego'), REGO_MAIN);
  writeFileSync(join(dir, 'validate.rego'), REGO_VALIDATE);
  if (pss) {
    for (const name of Object.keys(PSS_CONTROLS)) {
      const { file, text } = pssRegoPackage(name);
      writeFileSync(join(dir, file), text);
    }
  }
  const names = BENCH_POLICIES.filter((name) => existsSync(join(root, 'policies', name, 'policy.yaml')));
  for (let i = 0; i < count; i++) {
    const name = names[i % names.length];
    const round = Math.floor(i / names.length);
    const pkg = `${name.replaceAll('-', '_')}${round > 0 ? `_${round + 1}` : ''}`;
    writeFileSync(join(dir, `${pkg}.rego`), regoPackage(pkg, name, REGO_POLICIES[name], namespace));
  }
}
