/**
 * A Pod as the API server hands it to admission when a ReplicaSet controller creates it: the
 * benchmarks' small Pods with what the API server and the controller add. managedFields (one
 * entry per field the controller set, mirroring the spec), the owner reference, generateName and
 * the template hash, the defaults (restart, DNS and pull policies, scheduler, tolerations, the
 * termination message path) and the projected ServiceAccount token volume mounted into every
 * container. The engine converts all of it into KCL whatever a policy reads, so this is what its
 * cost per review looks like on real requests (scripts/bench-admission.mjs, the engine alone).
 */

const TEMPLATE_HASH = '7d4b9c8f6d';
const OWNER_UID = '5f0c1d2e-1111-2222-3333-444455556666';
const TOKEN_VOLUME = 'kube-api-access-x7k2p';

/** A copy of `pod` with what the API server and the ReplicaSet controller add. */
export function asTheApiServerSendsIt(pod) {
  const sent = structuredClone(pod);
  const owner = `${sent.metadata.name}-${TEMPLATE_HASH}`;
  sent.metadata.generateName = `${owner}-`;
  sent.metadata.labels = { ...sent.metadata.labels, 'pod-template-hash': TEMPLATE_HASH };
  sent.metadata.ownerReferences = [
    { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: owner, uid: OWNER_UID, controller: true, blockOwnerDeletion: true },
  ];
  for (const container of [...(sent.spec.initContainers ?? []), ...sent.spec.containers]) {
    container.imagePullPolicy ??= 'IfNotPresent';
    container.terminationMessagePath ??= '/dev/termination-log';
    container.terminationMessagePolicy ??= 'File';
    container.resources ??= {};
    container.volumeMounts = [
      ...(container.volumeMounts ?? []),
      { name: TOKEN_VOLUME, readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' },
    ];
  }
  // What the controller set: the template, before the API server's own defaults below.
  const managed = fieldsOf({ metadata: templateMetadata(sent.metadata), spec: pod.spec });
  Object.assign(sent.spec, {
    restartPolicy: sent.spec.restartPolicy ?? 'Always',
    terminationGracePeriodSeconds: 30,
    dnsPolicy: 'ClusterFirst',
    serviceAccountName: 'default',
    serviceAccount: 'default',
    securityContext: sent.spec.securityContext ?? {},
    schedulerName: 'default-scheduler',
    tolerations: ['not-ready', 'unreachable'].map((condition) => ({
      key: `node.kubernetes.io/${condition}`,
      operator: 'Exists',
      effect: 'NoExecute',
      tolerationSeconds: 300,
    })),
    priority: 0,
    enableServiceLinks: true,
    preemptionPolicy: 'PreemptLowerPriority',
  });
  sent.spec.volumes = [
    ...(sent.spec.volumes ?? []),
    {
      name: TOKEN_VOLUME,
      projected: {
        defaultMode: 420,
        sources: [
          { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
          { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
          { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
        ],
      },
    },
  ];
  sent.metadata.managedFields = [
    { manager: 'kube-controller-manager', operation: 'Update', apiVersion: 'v1', time: '2026-11-30T10:00:01Z', fieldsType: 'FieldsV1', fieldsV1: managed },
  ];
  return sent;
}

function templateMetadata(metadata) {
  const { labels, annotations, generateName, ownerReferences } = metadata;
  return { generateName, ...(labels ? { labels } : {}), ...(annotations ? { annotations } : {}), ownerReferences };
}

/** FieldsV1 of a value: `f:<key>` per object member, `k:{"name":...}` per named list item. */
function fieldsOf(value, nested = false) {
  if (Array.isArray(value)) {
    const named = value.filter((item) => item && typeof item === 'object' && typeof item.name === 'string');
    if (named.length !== value.length || named.length === 0) return {};
    return { '.': {}, ...Object.fromEntries(named.map((item) => [`k:${JSON.stringify({ name: item.name })}`, fieldsOf(item, true)])) };
  }
  if (!value || typeof value !== 'object') return {};
  const fields = nested ? { '.': {} } : {};
  for (const [key, item] of Object.entries(value)) if (item !== undefined) fields[`f:${key}`] = fieldsOf(item, true);
  return fields;
}
