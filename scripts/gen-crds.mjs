#!/usr/bin/env node
// Writes the KCLRun and ClusterKCLRun CRDs into charts/kclguard/crds/ from one spec schema, so
// the two kinds cannot drift apart. `node scripts/gen-crds.mjs --check` exits 1 when the files
// in the chart differ from what this script generates (used by the chart tests).
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';

const crdDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'charts', 'kclguard', 'crds');

const strings = { type: 'array', items: { type: 'string' } };
const labelSelector = (description) => ({
  type: 'object',
  description,
  properties: {
    matchLabels: { type: 'object', additionalProperties: { type: 'string' } },
    matchExpressions: {
      type: 'array',
      items: {
        type: 'object',
        required: ['key', 'operator'],
        properties: {
          key: { type: 'string' },
          operator: { type: 'string', enum: ['In', 'NotIn', 'Exists', 'DoesNotExist'] },
          values: strings,
        },
      },
    },
  },
});

function specSchema(clusterScoped) {
  const selector = labelSelector('Which objects the policy wants; every given field must match (metav1.LabelSelector semantics for labels).');
  Object.assign(selector.properties, {
    namespaceSelector: labelSelector("Labels of the object's Namespace (ClusterKCLRun only)."),
    // A string or a list of strings: structural schemas cannot say "either" with a type, so the
    // shape is checked by kclguard's own validation of KCLRun objects on admission.
    namespace: { 'x-kubernetes-preserve-unknown-fields': true, description: 'A namespace, or a list of namespaces.' },
    resourceKind: { 'x-kubernetes-preserve-unknown-fields': true, description: 'A kind, or a list of kinds.' },
    resourceName: { 'x-kubernetes-preserve-unknown-fields': true, description: 'A name, or a list of names.' },
    operations: {
      type: 'array',
      items: { type: 'string', enum: ['CREATE', 'UPDATE', 'DELETE', 'CONNECT', '*'] },
      description: 'Default [CREATE, UPDATE]. The webhooks are sent CONNECT only when the chart value webhook.operations (or serve --webhook-operations) includes it.',
    },
  });
  const properties = {
    source: {
      type: 'string',
      minLength: 1,
      description: 'Inline KCL source of the policy, or oci://REGISTRY/REPOSITORY[:TAG|@sha256:DIGEST] naming a KCL package (kcl mod push) pulled when the policy loads.',
    },
    dependencies: {
      type: 'string',
      minLength: 1,
      description: 'kcl.mod [dependencies] entries (k8s = "1.31", name = { oci = "oci://...", tag = "..." }), pulled from OCI registries when the policy loads.',
    },
    credentials: {
      type: 'object',
      description: "Registry credentials for the source and dependencies: a kubernetes.io/dockerconfigjson Secret, read as the policy's ServiceAccount.",
      required: ['secretRef'],
      properties: { secretRef: { type: 'object', required: ['name'], properties: { name: { type: 'string', minLength: 1 } } } },
    },
    params: {
      type: 'object',
      'x-kubernetes-preserve-unknown-fields': true,
      description: 'Free-form; reaches the program as option("params").',
    },
    selector,
    matchConstraints: {
      type: 'object',
      description: 'krm-kcl compatibility.',
      properties: {
        resourceRules: {
          type: 'array',
          items: { type: 'object', properties: { apiGroups: strings, apiVersions: strings, kinds: strings } },
        },
      },
    },
    strictMode: { type: 'boolean', description: 'Act only on objects whose canMutate/canValidate annotations name this policy.' },
    consent: {
      type: 'string',
      enum: ['Honor', 'Ignore', 'Advisory'],
      default: 'Honor',
      description:
        "Whose veto counts. Honor: the Namespace's, an object's veto of a mutation, and an object's veto of a violation only when the requesting user may 'exempt' from this policy. Ignore: nobody's. Advisory: anyone's.",
    },
    validationActions: {
      type: 'array',
      items: { type: 'string', enum: ['Deny', 'Warn', 'Audit'] },
      minItems: 1,
      'x-kubernetes-list-type': 'set',
      default: ['Deny'],
      description: 'What a violation does: Deny the request, Warn (a warning), Audit (an audit annotation and a metric). Deny and Warn may not be combined.',
    },
    recovery: {
      type: 'object',
      required: ['source'],
      properties: { source: { type: 'string', minLength: 1, description: 'KCL that sets action (abort, warn or skip) and optionally message when the policy fails.' } },
      description: 'Chooses the failure action when the policy fails; if it fails itself, failureAction applies.',
    },
    dependencies: { type: 'string', description: 'kcl.mod [dependencies] text, resolved from OCI when the policy loads.' },
    credentials: {
      type: 'object',
      required: ['secretRef'],
      properties: { secretRef: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } } },
      description: "A dockerconfigjson Secret in the policy's namespace for pulling oci:// sources, read as the policy's ServiceAccount.",
    },
    failureAction: { type: 'string', enum: ['abort', 'warn', 'skip'], description: 'What a broken policy does to the request. Default abort.' },
    recoveryPolicy: { type: 'string', enum: ['panic', 'skip'], description: 'kcl-operator alias: panic = abort, skip = skip.' },
    serviceAccountName: { type: 'string', description: 'ServiceAccount whose RBAC bounds what the policy may touch.' },
    mode: { type: 'string', enum: ['Auto', 'Validate'], default: 'Auto', description: 'Auto: mutate phase. Validate: validate phase, sees the final object.' },
    timeoutMillis: { type: 'integer', minimum: 1, maximum: 30000, description: 'Evaluation budget in milliseconds.' },
    lookups: {
      type: 'array',
      maxItems: 16,
      description:
        "Kinds the program may read with kube.get / kube.list. kclguard keeps informer caches of them while a policy declares them; every read is authorized for the policy's ServiceAccount (get / list).",
      items: {
        type: 'object',
        required: ['apiVersion', 'kind'],
        properties: {
          apiVersion: { type: 'string', description: 'group/version, or v1 for the core group; the exact version served to the program.' },
          kind: { type: 'string' },
        },
      },
    },
  };
  if (clusterScoped) {
    properties.serviceAccountNamespace = { type: 'string' };
    properties.allowSystemNamespaces = {
      type: 'boolean',
      description: "Let the policy act in kube-system and kube-node-lease. Default false. kclguard's own namespace stays excluded.",
    };
  }
  return { type: 'object', required: ['source'], properties };
}

const statusSchema = {
  type: 'object',
  properties: {
    observedGeneration: { type: 'integer', format: 'int64' },
    source: {
      type: 'object',
      nullable: true,
      description: 'What an oci:// source (with its dependencies) resolved to.',
      properties: { digest: { type: 'string', description: 'The manifest digest acting (for a program with dependencies: one digest over all of its packages).' } },
    },
    conditions: {
      type: 'array',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['type'],
      items: {
        type: 'object',
        required: ['type', 'status'],
        properties: {
          type: { type: 'string' },
          status: { type: 'string', enum: ['True', 'False', 'Unknown'] },
          reason: { type: 'string' },
          message: { type: 'string' },
          observedGeneration: { type: 'integer', format: 'int64' },
          lastTransitionTime: { type: 'string', format: 'date-time' },
        },
      },
    },
  },
};

const printerColumns = [
  { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
  { name: 'Mode', type: 'string', jsonPath: '.spec.mode' },
  { name: 'Actions', type: 'string', jsonPath: '.spec.validationActions' },
  { name: 'FailureAction', type: 'string', jsonPath: '.spec.failureAction' },
  { name: 'Digest', type: 'string', jsonPath: '.status.source.digest', priority: 1, description: 'What an oci:// source resolved to (kubectl get -o wide).' },
  { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
];

function crd(kind, plural, scope) {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    // keep: uninstalling the chart must not delete every policy in the cluster.
    metadata: { name: `${plural}.krm.kcl.dev`, annotations: { 'helm.sh/resource-policy': 'keep' } },
    spec: {
      group: 'krm.kcl.dev',
      scope,
      names: { kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase(), categories: ['kclguard'] },
      versions: [
        {
          name: 'v1alpha1',
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: printerColumns,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              required: ['spec'],
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec: specSchema(scope === 'Cluster'),
                status: statusSchema,
              },
            },
          },
        },
      ],
    },
  };
}

// PolicyReport / ClusterPolicyReport (wgpolicyk8s.io/v1alpha2), the reports background audit
// writes: written from the API's Go types (kubernetes-sigs/wg-policy-prototypes), for clusters
// that have no other tool installing them.
const objectReference = {
  type: 'object',
  properties: Object.fromEntries(['apiVersion', 'kind', 'name', 'namespace', 'uid', 'resourceVersion', 'fieldPath'].map((f) => [f, { type: 'string' }])),
};
const reportLabelSelector = labelSelector('Selects the checked resources by label.');
const reportSchema = {
  type: 'object',
  properties: {
    apiVersion: { type: 'string' },
    kind: { type: 'string' },
    metadata: { type: 'object' },
    scope: { ...objectReference, description: 'The object this report is about, when it is about one.' },
    scopeSelector: reportLabelSelector,
    summary: {
      type: 'object',
      description: 'How many results of each kind the report holds.',
      properties: Object.fromEntries(['pass', 'fail', 'warn', 'error', 'skip'].map((r) => [r, { type: 'integer' }])),
    },
    results: {
      type: 'array',
      items: {
        type: 'object',
        required: ['policy'],
        properties: {
          source: { type: 'string', description: 'The policy engine that wrote the result.' },
          policy: { type: 'string' },
          rule: { type: 'string' },
          category: { type: 'string' },
          severity: { type: 'string', enum: ['critical', 'high', 'low', 'medium', 'info'] },
          timestamp: { type: 'object', properties: { seconds: { type: 'integer', format: 'int64' }, nanos: { type: 'integer', format: 'int32' } } },
          result: { type: 'string', enum: ['pass', 'fail', 'warn', 'error', 'skip'] },
          scored: { type: 'boolean' },
          resources: { type: 'array', items: objectReference },
          resourceSelector: reportLabelSelector,
          message: { type: 'string' },
          properties: { type: 'object', additionalProperties: { type: 'string' } },
        },
      },
    },
  },
};
const reportColumns = [
  { name: 'Kind', type: 'string', jsonPath: '.scope.kind', priority: 1 },
  { name: 'Name', type: 'string', jsonPath: '.scope.name', priority: 1 },
  ...['Pass', 'Fail', 'Warn', 'Error', 'Skip'].map((r) => ({ name: r, type: 'integer', jsonPath: `.summary.${r.toLowerCase()}` })),
  { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
];

function reportCrd(kind, plural, shortName, scope) {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    // keep: other tools (Kyverno, Kubewarden, Policy Reporter) may use the same reports.
    metadata: { name: `${plural}.wgpolicyk8s.io`, annotations: { 'helm.sh/resource-policy': 'keep' } },
    spec: {
      group: 'wgpolicyk8s.io',
      scope,
      names: { kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase(), shortNames: [shortName] },
      versions: [{ name: 'v1alpha2', served: true, storage: true, additionalPrinterColumns: reportColumns, schema: { openAPIV3Schema: reportSchema } }],
    },
  };
}

/**
 * The report CRDs are a template, not in crds/: installed only when the value reports.installCRDs
 * is true and the CRD is absent or this release installed it (so an upgrade keeps it, and a
 * cluster whose reports come from another tool keeps that tool's).
 */
function reportCrdTemplate(doc) {
  const name = doc.metadata.name;
  return (
    `{{- if .Values.reports.installCRDs }}\n` +
    `{{- $existing := lookup "apiextensions.k8s.io/v1" "CustomResourceDefinition" "" "${name}" }}\n` +
    `{{- if or (not $existing) (eq (dig "metadata" "annotations" "meta.helm.sh/release-name" "" $existing) .Release.Name) }}\n` +
    `---\n${yaml.dump(doc, { lineWidth: 120, noRefs: true })}` +
    `{{- end }}\n{{- end }}\n`
  );
}

const header = '# Generated by scripts/gen-crds.mjs from one schema; edit that script, not this file.\n';
const templateDir = join(crdDir, '..', 'templates');
const files = {
  [join(crdDir, 'krm.kcl.dev_kclruns.yaml')]: header + yaml.dump(crd('KCLRun', 'kclruns', 'Namespaced'), { lineWidth: 120, noRefs: true }),
  [join(crdDir, 'krm.kcl.dev_clusterkclruns.yaml')]: header + yaml.dump(crd('ClusterKCLRun', 'clusterkclruns', 'Cluster'), { lineWidth: 120, noRefs: true }),
  [join(templateDir, 'policy-report-crds.yaml')]:
    '{{- /* Generated by scripts/gen-crds.mjs; edit that script, not this file. */ -}}\n' +
    reportCrdTemplate(reportCrd('PolicyReport', 'policyreports', 'polr', 'Namespaced')) +
    reportCrdTemplate(reportCrd('ClusterPolicyReport', 'clusterpolicyreports', 'cpolr', 'Cluster')),
};
const check = process.argv.includes('--check');
let stale = 0;
for (const [path, text] of Object.entries(files)) {
  if (check) {
    let current = '';
    try {
      current = readFileSync(path, 'utf8');
    } catch {
      /* missing counts as stale */
    }
    if (current !== text) {
      console.error(`gen-crds: ${path} is out of date; run node scripts/gen-crds.mjs`);
      stale++;
    }
  } else {
    writeFileSync(path, text);
  }
}
process.exitCode = stale ? 1 : 0;
