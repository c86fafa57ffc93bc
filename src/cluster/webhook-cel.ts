/**
 * A policy's selection as a CEL expression the API server evaluates in a webhook's
 * `matchConditions`, so that it calls kclguard only for requests some policy selects.
 *
 * The rule: never narrower than the engine (src/engine/selector.ts). Every part of a selector
 * that CEL over the AdmissionRequest expresses exactly (operations, kinds, names, namespaces,
 * labels, resourceRules, a KCLRun's own namespace) becomes a term; what it cannot see
 * (a Namespace's labels for namespaceSelector, Namespace-wide consent for strictMode) is left
 * out, which only makes the expression broader, and is reported as such.
 *
 * The API server hands `request` over as unstructured JSON: fields the AdmissionRequest omits
 * when empty (`namespace`, `name`, `subResource`) are absent, not "", and reading an absent field
 * is an error — which, under `failurePolicy: Fail`, rejects the request. Every such read is
 * guarded with `has()`; `object` is null for DELETE and `oldObject` for CREATE.
 */
import type { LabelSelector, PolicyDefinition, ResourceRule } from '../engine/index.js';
import { ALL_OPERATIONS } from '../engine/index.js';

/** A CEL string literal for any JS string; undefined for one CEL cannot spell (a lone surrogate). */
export function celString(value: string): string | undefined {
  let out = '"';
  for (const char of value) {
    const code = char.codePointAt(0)!;
    if (code >= 0xd800 && code <= 0xdfff) return undefined;
    if (char === '"' || char === '\\') out += `\\${char}`;
    else if (code >= 0x20 && code < 0x7f) out += char;
    else if (code <= 0xffff) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += `\\U${code.toString(16).padStart(8, '0')}`;
  }
  return `${out}"`;
}

/** A CEL list of string literals; undefined when one of them cannot be spelled. */
export function celList(values: readonly string[]): string | undefined {
  const items = [...new Set(values)].map(celString);
  if (items.some((item) => item === undefined)) return undefined;
  return `[${items.join(', ')}]`;
}

/** `request.subResource`, "" when the request is for the resource itself. */
export const SUBRESOURCE = '(has(request.subResource) ? request.subResource : "")';
const IS_NAMESPACE_OBJECT = '(request.kind.group == "" && request.kind.kind == "Namespace")';
/** The engine's objectNamespace(): "" for cluster-scoped objects, Namespace objects included. */
const OBJECT_NAMESPACE = `(${IS_NAMESPACE_OBJECT} ? "" : (has(request.namespace) ? request.namespace : ""))`;
/** The engine's requestName(): request.name, else metadata.name of the object (or old object). */
const metadataName = (o: string) => `(has(${o}.metadata) && has(${o}.metadata.name) ? ${o}.metadata.name : "")`;
const REQUEST_NAME =
  `(has(request.name) && request.name != "" ? request.name : ` +
  `(object != null ? ${metadataName('object')} : (oldObject != null ? ${metadataName('oldObject')} : "")))`;
const labelsOf = (o: string) => `(has(${o}.metadata) && has(${o}.metadata.labels) ? ${o}.metadata.labels : {})`;

export interface SelectionExpression {
  /** CEL that is true for every request the policy selects; "true" when nothing narrows it. */
  readonly expression: string;
  /** Parts of the selector CEL could not express (the expression is broader by these). */
  readonly broader: readonly string[];
  /**
   * The expression checks the request's operation and kind and nothing else, so a webhook rule
   * made of exactly those operations and the resources of those kinds already implies it.
   */
  readonly kindsAndOperationsOnly: boolean;
}

/** metav1.LabelSelector over the labels map bound to `l`; undefined when a value cannot be spelled. */
function labelSelectorCel(selector: LabelSelector): string | undefined {
  const terms: string[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    const k = celString(key);
    const v = celString(value);
    if (k === undefined || v === undefined) return undefined;
    terms.push(`(${k} in l && l[${k}] == ${v})`);
  }
  for (const requirement of selector.matchExpressions ?? []) {
    const k = celString(requirement.key);
    const values = celList(requirement.values ?? []);
    if (k === undefined || values === undefined) return undefined;
    switch (requirement.operator) {
      case 'In':
        terms.push(`(${k} in l && l[${k}] in ${values})`);
        break;
      case 'NotIn':
        terms.push(`(!(${k} in l) || !(l[${k}] in ${values}))`);
        break;
      case 'Exists':
        terms.push(`(${k} in l)`);
        break;
      case 'DoesNotExist':
        terms.push(`!(${k} in l)`);
        break;
    }
  }
  return terms.length === 0 ? 'true' : terms.join(' && ');
}

/** Like the API server's objectSelector: the new or the old object's labels match. */
function labelsCel(selector: LabelSelector): string | undefined {
  const body = labelSelectorCel(selector);
  if (body === undefined) return undefined;
  // `[x].all(l, ...)` binds the labels map once per object.
  const on = (o: string) => `(${o} != null && [${labelsOf(o)}].all(l, ${body}))`;
  return `(${on('object')} || ${on('oldObject')})`;
}

function listTerm(values: readonly string[] | undefined, subject: string): string | undefined {
  if (values === undefined || values.length === 0 || values.includes('*')) return 'true';
  const list = celList(values);
  return list === undefined ? undefined : `${subject} in ${list}`;
}

/** matchConstraints.resourceRules: any rule matches (group, version and kind of request.kind). */
function resourceRulesCel(rules: readonly ResourceRule[]): string | undefined {
  if (rules.length === 0) return 'true';
  const terms: string[] = [];
  for (const rule of rules) {
    const parts = [
      listTerm(rule.apiGroups, 'request.kind.group'),
      listTerm(rule.apiVersions, 'request.kind.version'),
      listTerm(rule.kinds, 'request.kind.kind'),
    ];
    if (parts.some((p) => p === undefined)) return undefined;
    const narrowing = parts.filter((p) => p !== 'true');
    if (narrowing.length === 0) return 'true';
    terms.push(`(${narrowing.join(' && ')})`);
  }
  return terms.length === 1 ? terms[0] : `(${terms.join(' || ')})`;
}

/**
 * The CEL for one policy's selection (its phase aside: each webhook serves one phase).
 * `detail: false` leaves out names and labels (the coarse form used when the full one is
 * over budget); the result is still never narrower than the policy.
 */
export function selectionCel(definition: PolicyDefinition, detail = true): SelectionExpression {
  const { selector, resourceRules } = definition.spec;
  const terms: string[] = [];
  const broader: string[] = [];
  let otherTerms = false;
  const add = (what: string, term: string | undefined, kindOrOperation = false) => {
    if (term === undefined) {
      broader.push(`${what} has a value CEL cannot spell`);
    } else if (term !== 'true') {
      terms.push(term);
      if (!kindOrOperation) otherTerms = true;
    }
  };
  if (definition.identity.kind === 'KCLRun') {
    const own = celString(definition.identity.namespace ?? '');
    add('the namespace', own && `${OBJECT_NAMESPACE} == ${own}`);
  }
  const operations = selector.operations;
  if (!ALL_OPERATIONS.every((op) => operations.includes(op))) add('operations', listTerm(operations, 'request.operation'), true);
  if (selector.kinds) add('resourceKind', listTerm(selector.kinds, 'request.kind.kind'), true);
  if (selector.namespaces) add('namespace', listTerm(selector.namespaces, OBJECT_NAMESPACE));
  add('matchConstraints.resourceRules', resourceRulesCel(resourceRules));
  if (detail) {
    if (selector.names) add('resourceName', listTerm(selector.names, REQUEST_NAME));
    if (selector.labels) add('matchLabels/matchExpressions', labelsCel(selector.labels));
  } else if (selector.names || selector.labels) {
    broader.push('names and labels left out to stay within the size budget');
  }
  if (selector.namespaceSelector) broader.push("namespaceSelector (the Namespace's labels are not visible to matchConditions)");
  if (definition.spec.strictMode) broader.push('strictMode (consent annotations are checked by kclguard)');
  return { expression: terms.length === 0 ? 'true' : terms.join(' && '), broader, kindsAndOperationsOnly: !otherTerms };
}
