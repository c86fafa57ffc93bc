/**
 * Policy -> object selection: does this policy want this request? Pure functions; the reason a
 * policy was not selected is returned for traces and debug logs.
 */
import type { EngineRequest } from './contract.js';
import type { LabelSelector, PolicyDefinition, ResourceRule } from './model.js';
import { withNameLabel, type NamespaceInfo } from './namespaces.js';

type Labels = Readonly<Record<string, string>>;

/**
 * metav1.LabelSelector semantics: matchLabels AND every matchExpression. An absent or empty
 * selector matches everything. `NotIn` and `DoesNotExist` match an object without the key;
 * `In` and `Exists` do not.
 */
export function matchesLabelSelector(selector: LabelSelector | undefined, labels: Labels): boolean {
  if (!selector) return true;
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (!Object.hasOwn(labels, key) || labels[key] !== value) return false;
  }
  for (const req of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, req.key);
    const values = req.values ?? [];
    switch (req.operator) {
      case 'In':
        if (!has || !values.includes(labels[req.key]!)) return false;
        break;
      case 'NotIn':
        if (has && values.includes(labels[req.key]!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
    }
  }
  return true;
}

export function labelsOf(object: Record<string, unknown> | undefined): Labels {
  const labels = (object?.metadata as { labels?: unknown } | undefined)?.labels;
  if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) return {};
  return labels as Labels;
}

function listMatches(list: readonly string[] | undefined, value: string): boolean {
  return list === undefined || list.length === 0 || list.includes('*') || list.includes(value);
}

/** matchConstraints.resourceRules: no rules match everything; otherwise any one rule must match. */
export function matchesResourceRules(rules: readonly ResourceRule[], request: EngineRequest): boolean {
  if (rules.length === 0) return true;
  return rules.some(
    (rule) =>
      listMatches(rule.apiGroups, request.kind.group) &&
      listMatches(rule.apiVersions, request.kind.version) &&
      listMatches(rule.kinds, request.kind.kind),
  );
}

/** The name of the object under admission: request.name, else metadata.name of the object. */
export function requestName(request: EngineRequest): string | undefined {
  if (request.name) return request.name;
  const object = request.object ?? request.oldObject;
  const name = (object?.metadata as { name?: unknown } | undefined)?.name;
  return typeof name === 'string' && name !== '' ? name : undefined;
}

/** A core/v1 Namespace object (cluster-scoped, although the API server puts its name in request.namespace). */
export function isNamespaceObject(request: EngineRequest): boolean {
  return request.kind.group === '' && request.kind.kind === 'Namespace';
}

/** The namespace the admitted object lives in; '' for cluster-scoped objects, Namespaces included. */
export function objectNamespace(request: EngineRequest): string {
  return isNamespaceObject(request) ? '' : (request.namespace ?? '');
}

/**
 * Whether the policy selects the request; undefined when it does, else why not.
 * - A KCLRun acts only on namespaced objects of its own namespace.
 * - Labels: like the API server's objectSelector, an UPDATE matches when either the new or the
 *   old object matches; a DELETE uses the old object.
 * - namespaceSelector (ClusterKCLRun): the labels of the object's Namespace (`namespaceInfo`); for a Namespace
 *   object, its own labels; other cluster-scoped objects are not filtered by it (the API
 *   server's webhook namespaceSelector rule).
 */
export function whyNotSelected(
  policy: PolicyDefinition,
  request: EngineRequest,
  namespaceInfo?: NamespaceInfo | 'unknown',
): string | undefined {
  const { selector } = policy.spec;
  const namespace = objectNamespace(request);
  if (policy.identity.kind === 'KCLRun' && namespace !== policy.identity.namespace) {
    return 'a KCLRun acts only inside its own namespace';
  }
  if (!selector.operations.includes(request.operation)) return `operation ${request.operation} not selected`;
  if (selector.kinds && !selector.kinds.includes(request.kind.kind)) return `kind ${request.kind.kind} not selected`;
  if (selector.names) {
    const name = requestName(request);
    if (name === undefined || !selector.names.includes(name)) return 'name not selected';
  }
  if (selector.namespaces && !selector.namespaces.includes(namespace)) return 'namespace not selected';
  if (!matchesResourceRules(policy.spec.resourceRules, request)) return 'matchConstraints.resourceRules do not match';
  if (selector.labels) {
    const candidates = [request.object, request.oldObject].filter((o) => o !== undefined);
    if (!candidates.some((o) => matchesLabelSelector(selector.labels, labelsOf(o)))) return 'labels do not match';
  }
  if (selector.namespaceSelector) {
    let nsLabels: Labels | undefined;
    // An unreadable Namespace selects: the caller fails such policies rather than guess.
    if (namespaceInfo === 'unknown') return undefined;
    if (namespace !== '') nsLabels = withNameLabel(namespaceInfo, namespace).labels;
    else if (isNamespaceObject(request)) {
      const own = requestName(request);
      nsLabels = { ...labelsOf(request.object ?? request.oldObject), ...(own ? { 'kubernetes.io/metadata.name': own } : {}) };
    }
    if (nsLabels && !matchesLabelSelector(selector.namespaceSelector, nsLabels)) return 'namespaceSelector does not match';
  }
  return undefined;
}
