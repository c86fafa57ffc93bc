// The policies the fault suite's load meets, and the churned one.
export const MUTATION_LABEL = 'policies.example.com/checked';
export const DENY_LABEL = 'policies.example.com/deny';
export const DENY_MESSAGE = 'ConfigMaps labelled deny are refused';
export const CHURN_ANNOTATION = 'policies.example.com/churn';

const kclRun = (namespace, name, spec) => ({ apiVersion: 'krm.kcl.dev/v1alpha1', kind: 'KCLRun', metadata: { name, namespace }, spec });

export function loadPolicies(namespace) {
  return [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'kclguard-policies', namespace },
      rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['mutate', 'validate'] }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'kclguard-policies', namespace },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'kclguard-policies' },
      subjects: [{ kind: 'ServiceAccount', name: 'default', namespace }],
    },
    kclRun(namespace, 'label-configmaps', {
      selector: { resourceKind: 'ConfigMap', operations: ['CREATE'] },
      source: `items = [item | {metadata.labels: {"${MUTATION_LABEL}": "true"}} for item in option("items")]\n`,
    }),
    kclRun(namespace, 'refuse-deny-label', {
      mode: 'Validate',
      selector: { resourceKind: 'ConfigMap', operations: ['CREATE'], matchLabels: { [DENY_LABEL]: 'true' } },
      source: `assert False, "${DENY_MESSAGE}"\nitems = option("items")\n`,
    }),
  ];
}

/** Version `n` of the churned policy: a new annotation value each time, so each apply is a new generation to compile and swap in. */
export function churnPolicy(namespace, n) {
  return kclRun(namespace, 'churn', {
    selector: { resourceKind: 'ConfigMap', operations: ['CREATE'] },
    params: { n: String(n) },
    source: `items = [item | {metadata.annotations: {"${CHURN_ANNOTATION}": option("params").n}} for item in option("items")]\n`,
  });
}
