/**
 * Validates a KCLRun / ClusterKCLRun document with ajv and normalizes it into a
 * PolicyDefinition. Errors name the field path (`spec.failureAction must be one of abort, warn,
 * skip`) so an author can fix the manifest without reading the schema.
 */
import { Ajv, type ErrorObject } from 'ajv';
import type { FailureAction, Operation } from './contract.js';
import { unescapePointerToken } from './json-data.js';
import {
  CLUSTER_SCOPE,
  DNS_LABEL_MAX_CHARS,
  DNS_LABEL_PATTERN,
  DEFAULT_CONSENT,
  DEFAULT_FAILURE_ACTION,
  DEFAULT_MODE,
  DEFAULT_VALIDATION_ACTIONS,
  DEFAULT_OPERATIONS,
  DEFAULT_TIMEOUT_MILLIS,
  KCLRUN_API_VERSION,
  MAX_LOOKUP_KINDS,
  MAX_TIMEOUT_MILLIS,
  policyIdentity,
  type ConsentMode,
  type KclRunManifest,
  type LookupKind,
  type ValidationAction,
  type LabelSelector,
  type PolicyDefinition,
  type PolicyIdentity,
  type PolicyKind,
  type PolicyMode,
  type ResourceRule,
} from './model.js';

const stringOrList = { type: ['string', 'array'], items: { type: 'string' } };
const stringList = { type: 'array', items: { type: 'string' } };

const labelSelectorProperties = {
  matchLabels: { type: 'object', additionalProperties: { type: 'string' } },
  matchExpressions: {
    type: 'array',
    items: {
      type: 'object',
      required: ['key', 'operator'],
      additionalProperties: false,
      properties: {
        key: { type: 'string', minLength: 1 },
        operator: { enum: ['In', 'NotIn', 'Exists', 'DoesNotExist'] },
        values: stringList,
      },
    },
  },
};

const labelSelector = { type: 'object', additionalProperties: false, properties: labelSelectorProperties };

/** Kubernetes object names (ServiceAccount, Secret, KCLRun): a DNS subdomain; namespaces: a DNS label. */
const DNS_SUBDOMAIN = { type: 'string', minLength: 1, maxLength: 253, pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$' };
const DNS_LABEL = { type: 'string', minLength: 1, maxLength: DNS_LABEL_MAX_CHARS, pattern: DNS_LABEL_PATTERN };

const operationsEnum = ['CREATE', 'UPDATE', 'DELETE', 'CONNECT', '*'];

export const kclRunSchema = {
  type: 'object',
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  properties: {
    apiVersion: { const: KCLRUN_API_VERSION },
    kind: { enum: ['KCLRun', 'ClusterKCLRun'] },
    metadata: {
      type: 'object',
      required: ['name'],
      properties: {
        name: DNS_SUBDOMAIN,
        namespace: DNS_LABEL,
      },
    },
    spec: {
      type: 'object',
      required: ['source'],
      additionalProperties: false,
      properties: {
        source: { type: 'string', minLength: 1 },
        params: { type: 'object' },
        selector: {
          type: 'object',
          additionalProperties: false,
          properties: {
            ...labelSelectorProperties,
            namespaceSelector: labelSelector,
            namespace: stringOrList,
            resourceKind: stringOrList,
            resourceName: stringOrList,
            operations: { type: 'array', items: { enum: operationsEnum } },
          },
        },
        matchConstraints: {
          type: 'object',
          additionalProperties: false,
          properties: {
            resourceRules: {
              type: 'array',
              items: {
                type: 'object',
                additionalProperties: false,
                properties: { apiGroups: stringList, apiVersions: stringList, kinds: stringList },
              },
            },
          },
        },
        strictMode: { type: 'boolean' },
        consent: { enum: ['Honor', 'Ignore', 'Advisory'] },
        validationActions: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: ['Deny', 'Warn', 'Audit'] } },
        failureAction: { enum: ['abort', 'warn', 'skip'] },
        recovery: { type: 'object', required: ['source'], additionalProperties: false, properties: { source: { type: 'string', minLength: 1 } } },
        dependencies: { type: 'string', minLength: 1 },
        credentials: {
          type: 'object',
          required: ['secretRef'],
          additionalProperties: false,
          properties: { secretRef: { type: 'object', required: ['name'], additionalProperties: false, properties: { name: DNS_SUBDOMAIN } } },
        },
        recoveryPolicy: { enum: ['panic', 'skip'] },
        serviceAccountName: DNS_SUBDOMAIN,
        serviceAccountNamespace: DNS_LABEL,
        allowSystemNamespaces: { type: 'boolean' },
        mode: { enum: ['Auto', 'Validate'] },
        timeoutMillis: { type: 'integer', minimum: 1, maximum: MAX_TIMEOUT_MILLIS },
        lookups: {
          type: 'array',
          maxItems: MAX_LOOKUP_KINDS,
          items: {
            type: 'object',
            required: ['apiVersion', 'kind'],
            additionalProperties: false,
            properties: {
              // group/version or a core version; no wildcards: a policy names what it reads.
              apiVersion: { type: 'string', pattern: '^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?v[0-9]+((alpha|beta)[0-9]+)?$' },
              kind: { type: 'string', pattern: '^[A-Z][A-Za-z0-9]*$' },
            },
          },
        },
      },
    },
  },
} as const;

const ajv = new Ajv({ allErrors: true, strict: false });
const validateManifest = ajv.compile(kclRunSchema);

/** What is wrong with a manifest, as data: tests and tools use `field` + `code`, people read `message`. */
export type SchemaIssueCode = 'required' | 'enum' | 'type' | 'unknown-field' | 'invalid' | 'conflict' | 'scope';

export interface SchemaIssue {
  /** Dotted path of the field, e.g. `spec.selector.matchExpressions[0].values`. */
  readonly field: string;
  readonly code: SchemaIssueCode;
  readonly message: string;
}

export type ParsedPolicy =
  | { readonly ok: true; readonly policy: PolicyDefinition }
  | {
      readonly ok: false;
      /** Known when the document had at least a usable kind and name. */
      readonly identity?: PolicyIdentity;
      readonly issues: readonly SchemaIssue[];
      /** The issues' messages. */
      readonly errors: readonly string[];
    };

export interface ParseOptions {
  /** Namespace for a KCLRun that names none (kubectl's `default`). */
  readonly defaultNamespace?: string;
  readonly origin?: string;
}

function fieldPath(instancePath: string): string {
  return instancePath
    .split('/')
    .slice(1)
    .map(unescapePointerToken)
    .reduce((acc, part) => (/^\d+$/.test(part) ? `${acc}[${part}]` : acc ? `${acc}.${part}` : part), '');
}

function child(path: string, name: unknown): string {
  return path ? `${path}.${String(name)}` : String(name);
}

function describe(error: ErrorObject): SchemaIssue {
  const path = fieldPath(error.instancePath);
  const shown = path || '(document)';
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'enum':
      return { field: path, code: 'enum', message: `${shown} must be one of ${(params.allowedValues as unknown[]).join(', ')}` };
    case 'const':
      return { field: path, code: 'enum', message: `${shown} must be ${String(params.allowedValue)}` };
    case 'required': {
      const field = child(path, params.missingProperty);
      return { field, code: 'required', message: `${field} is required` };
    }
    case 'additionalProperties': {
      const field = child(path, params.additionalProperty);
      return { field, code: 'unknown-field', message: `${field} is not a known field` };
    }
    case 'type':
      return { field: path, code: 'type', message: `${shown} must be ${String(params.type).replace(',', ' or ')}` };
    default:
      return { field: path, code: 'invalid', message: `${shown} ${error.message ?? 'is invalid'}` };
  }
}

function issue(field: string, code: SchemaIssueCode, message: string): SchemaIssue {
  return { field, code, message };
}

function failed(identity: PolicyIdentity | undefined, issues: SchemaIssue[]): ParsedPolicy {
  const unique = issues.filter((i, n) => issues.findIndex((j) => j.message === i.message) === n);
  return { ok: false, identity, issues: unique, errors: unique.map((i) => i.message) };
}

function asList(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  return typeof value === 'string' ? [value] : [...(value as string[])];
}

function labelSelectorOf(value: unknown, path: string, errors: SchemaIssue[]): LabelSelector | undefined {
  if (value === undefined || value === null) return undefined;
  const raw = value as { matchLabels?: Record<string, string>; matchExpressions?: LabelSelector['matchExpressions'] };
  (raw.matchExpressions ?? []).forEach((req, i) => {
    const values = req.values ?? [];
    if ((req.operator === 'In' || req.operator === 'NotIn') && values.length === 0) {
      const field = `${path}.matchExpressions[${i}].values`;
      errors.push(issue(field, 'invalid', `${field} must be non-empty for operator ${req.operator}`));
    }
    if ((req.operator === 'Exists' || req.operator === 'DoesNotExist') && values.length > 0) {
      const field = `${path}.matchExpressions[${i}].values`;
      errors.push(issue(field, 'invalid', `${field} must be empty for operator ${req.operator}`));
    }
  });
  return { matchLabels: raw.matchLabels, matchExpressions: raw.matchExpressions };
}

function failureActionOf(spec: Record<string, unknown>, errors: SchemaIssue[]): FailureAction {
  const explicit = spec.failureAction as FailureAction | undefined;
  const recovery = spec.recoveryPolicy as 'panic' | 'skip' | undefined;
  const fromRecovery: FailureAction | undefined =
    recovery === undefined ? undefined : recovery === 'panic' ? 'abort' : 'skip';
  if (explicit !== undefined && fromRecovery !== undefined && explicit !== fromRecovery) {
    errors.push(issue('spec.recoveryPolicy', 'conflict', `spec.recoveryPolicy ${recovery} contradicts spec.failureAction ${explicit}`));
  }
  return explicit ?? fromRecovery ?? DEFAULT_FAILURE_ACTION;
}

/** Identity from a document that may fail validation, so an invalid policy can still be named. */
function identityOf(doc: unknown, defaultNamespace: string): PolicyIdentity | undefined {
  if (typeof doc !== 'object' || doc === null) return undefined;
  const d = doc as { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } };
  if (d.kind !== 'KCLRun' && d.kind !== 'ClusterKCLRun') return undefined;
  if (typeof d.metadata?.name !== 'string' || d.metadata.name === '') return undefined;
  const ns = typeof d.metadata.namespace === 'string' ? d.metadata.namespace : defaultNamespace;
  return policyIdentity(d.kind, d.metadata.name, d.kind === 'KCLRun' ? ns : undefined);
}

const NO_PARAMS: Readonly<Record<string, unknown>> = Object.freeze({});

export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}

/**
 * A deep-frozen copy of the manifest: a definition is immutable once loaded, which lets the
 * KCL conversion of its params and manifest be made once and shared by every request
 * (shared-conversion.ts). A copy, so the caller's document is left as it was.
 */
function frozenCopy(doc: unknown): unknown {
  try {
    return deepFreeze(structuredClone(doc));
  } catch {
    // Not cloneable (not plain data): used as is, and converted per request.
    return doc;
  }
}

/** spec.lookups without repeats, in the order written. */
function uniqueLookups(lookups: readonly LookupKind[]): LookupKind[] {
  const seen = new Set<string>();
  return lookups.filter(({ apiVersion, kind }) => {
    const key = `${apiVersion}\u0000${kind}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  }).map(({ apiVersion, kind }) => ({ apiVersion, kind }));
}

export function parsePolicy(doc: unknown, options: ParseOptions = {}): ParsedPolicy {
  const defaultNamespace = options.defaultNamespace ?? 'default';
  const identity = identityOf(doc, defaultNamespace);
  if (!validateManifest(doc)) return failed(identity, (validateManifest.errors ?? []).map(describe));
  const manifest = frozenCopy(doc) as KclRunManifest;
  const kind: PolicyKind = manifest.kind;
  const isCluster = kind === 'ClusterKCLRun';
  const spec = manifest.spec;
  const selector = (spec.selector ?? {}) as Record<string, unknown>;
  const errors: SchemaIssue[] = [];

  if (isCluster && manifest.metadata.namespace !== undefined) {
    errors.push(issue('metadata.namespace', 'scope', 'metadata.namespace must not be set on a ClusterKCLRun (it is cluster-scoped)'));
  }
  if (!isCluster) {
    if ((manifest.metadata.namespace ?? defaultNamespace) === CLUSTER_SCOPE) {
      // Its key would be cluster/NAME, which is how consent lists, caches and reports name the
      // ClusterKCLRun NAME: a tenant's KCLRun there could shadow or impersonate an admin's policy.
      errors.push(issue('metadata.namespace', 'scope', `a KCLRun may not live in the namespace "${CLUSTER_SCOPE}": cluster/NAME names a ClusterKCLRun`));
    }
    if (selector.namespaceSelector !== undefined) {
      errors.push(issue('spec.selector.namespaceSelector', 'scope', 'spec.selector.namespaceSelector is only allowed on ClusterKCLRun'));
    }
    if (spec.allowSystemNamespaces !== undefined) {
      errors.push(issue('spec.allowSystemNamespaces', 'scope', 'spec.allowSystemNamespaces is only allowed on ClusterKCLRun'));
    }
    if (spec.serviceAccountNamespace !== undefined) {
      errors.push(issue('spec.serviceAccountNamespace', 'scope', 'spec.serviceAccountNamespace is only allowed on ClusterKCLRun (a KCLRun uses its own namespace)'));
    }
  } else if ((spec.serviceAccountName === undefined) !== (spec.serviceAccountNamespace === undefined)) {
    errors.push(issue('spec.serviceAccountNamespace', 'conflict', 'spec.serviceAccountName and spec.serviceAccountNamespace must be given together on a ClusterKCLRun'));
  }
  // A guardrail written with these would load Ready and select nothing: refused instead.
  for (const [field, every] of [['resourceKind', 'kind'], ['namespace', 'namespace'], ['resourceName', 'name']] as const) {
    const value = selector[field];
    if (Array.isArray(value) && value.length === 0) {
      errors.push(issue(`spec.selector.${field}`, 'invalid', `an empty spec.selector.${field} selects nothing; leave it out to select every ${every}`));
    } else if (value === '*' || (Array.isArray(value) && value.includes('*'))) {
      errors.push(issue(`spec.selector.${field}`, 'invalid', `"*" in spec.selector.${field} is not a wildcard and would select nothing; leave the field out to select every ${every}`));
    }
  }

  const labels =
    selector.matchLabels !== undefined || selector.matchExpressions !== undefined
      ? labelSelectorOf(selector, 'spec.selector', errors)
      : undefined;
  const namespaceSelector = labelSelectorOf(selector.namespaceSelector, 'spec.selector.namespaceSelector', errors);
  const rawOperations: readonly string[] = (selector.operations as string[] | undefined) ?? DEFAULT_OPERATIONS;
  const operations: Operation[] = rawOperations.includes('*')
    ? ['CREATE', 'UPDATE', 'DELETE', 'CONNECT']
    : [...new Set(rawOperations as Operation[])];
  const failureAction = failureActionOf(spec, errors);
  const validationActions = (spec.validationActions as ValidationAction[] | undefined) ?? DEFAULT_VALIDATION_ACTIONS;
  if (validationActions.includes('Deny') && validationActions.includes('Warn')) {
    // As the in-tree ValidatingAdmissionPolicyBinding: the warning would repeat the denial.
    errors.push(issue('spec.validationActions', 'conflict', 'spec.validationActions may not hold both Deny and Warn (a denial already shows the message)'));
  }
  const consent = (spec.consent as ConsentMode | undefined) ?? DEFAULT_CONSENT;
  if (consent === 'Ignore' && spec.strictMode === true) {
    errors.push(issue('spec.consent', 'conflict', 'spec.consent Ignore has no effect on a strictMode policy, which acts only where an object names it'));
  }
  const namespace = isCluster ? undefined : (manifest.metadata.namespace ?? defaultNamespace);

  if (errors.length > 0) return failed(identity, errors);

  const serviceAccount = isCluster
    ? spec.serviceAccountName !== undefined
      ? { namespace: spec.serviceAccountNamespace as string, name: spec.serviceAccountName as string }
      : undefined
    : { namespace: namespace as string, name: (spec.serviceAccountName as string | undefined) ?? 'default' };

  const policy: PolicyDefinition = {
    identity: policyIdentity(kind, manifest.metadata.name, namespace),
    manifest,
    origin: options.origin,
    spec: {
      source: spec.source as string,
      params: (spec.params as Record<string, unknown> | undefined) ?? NO_PARAMS,
      selector: {
        labels,
        namespaceSelector,
        namespaces: asList(selector.namespace),
        kinds: asList(selector.resourceKind),
        names: asList(selector.resourceName),
        operations,
      },
      resourceRules:
        ((spec.matchConstraints as { resourceRules?: ResourceRule[] } | undefined)?.resourceRules) ?? [],
      strictMode: (spec.strictMode as boolean | undefined) ?? false,
      consent,
      validationActions,
      failureAction,
      ...(spec.recovery !== undefined ? { recoverySource: (spec.recovery as { source: string }).source } : {}),
      ...(spec.dependencies !== undefined ? { dependencies: spec.dependencies as string } : {}),
      ...(spec.credentials !== undefined ? { credentialsSecret: (spec.credentials as { secretRef: { name: string } }).secretRef.name } : {}),
      mode: (spec.mode as PolicyMode | undefined) ?? DEFAULT_MODE,
      timeoutMillis: (spec.timeoutMillis as number | undefined) ?? DEFAULT_TIMEOUT_MILLIS,
      serviceAccount,
      allowSystemNamespaces: (spec.allowSystemNamespaces as boolean | undefined) ?? false,
      lookups: uniqueLookups((spec.lookups as LookupKind[] | undefined) ?? []),
    },
  };
  return { ok: true, policy };
}
